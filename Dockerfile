# Production image: Airflow 3 with the project installed against the same pinned constraints
# the tests use (constraints.txt pins the Celery provider too). Built and run as the image's
# airflow user; root only creates the folders that user then owns.
# tests/unit/test_deployment.py runs these steps as a non-root user in a fresh folder.
FROM apache/airflow:3.3.2-python3.11
USER root
RUN mkdir -p /opt/yj /data/landing /data/output /data/raw \
    && chown -R airflow:root /opt/yj /data \
    && chmod -R g+rwX /opt/yj /data
USER airflow
WORKDIR /opt/yj
COPY --chown=airflow:root pyproject.toml constraints.txt README.md ./
COPY --chown=airflow:root transforms ./transforms
COPY --chown=airflow:root plugins ./plugins
COPY --chown=airflow:root expectations ./expectations
COPY --chown=airflow:root dags ./dags
COPY --chown=airflow:root deploy/airflow-init.sh ./deploy/
# Editable: the project reads expectations/ and dags/ beside its code (PROJECT_ROOT).
RUN pip install --no-cache-dir -c constraints.txt -e .
