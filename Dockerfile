# Production image: Airflow 3 with the project installed against the same pinned
# constraints the tests use.
FROM apache/airflow:3.3.2-python3.11
USER airflow
WORKDIR /opt/yj
COPY --chown=airflow:root pyproject.toml constraints.txt README.md ./
COPY --chown=airflow:root transforms ./transforms
COPY --chown=airflow:root plugins ./plugins
COPY --chown=airflow:root expectations ./expectations
RUN pip install --no-cache-dir -c constraints.txt -e .
