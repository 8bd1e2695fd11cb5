"""How good the matching is, against a ground truth of who each record really is.

The sample generator writes ``ground_truth/identity_links.csv`` (source, record_id,
person_id): two records are the same child exactly when their person_id is the same.
Precision and recall are of the automatic links (UPN, PNC id, probabilistic) to the case
system's children; reviewer links are a person's work, so they are left out.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

AUTOMATIC = ("upn", "former_upn", "pnc_id", "upn_via_education", "probabilistic")


@dataclass(frozen=True)
class Quality:
    automatic_links: int
    correct_links: int
    true_links: int
    review_pairs: int
    review_children: int
    case_children: int
    by_method: dict

    @property
    def precision(self) -> float:
        return self.correct_links / self.automatic_links if self.automatic_links else 1.0

    @property
    def recall(self) -> float:
        return self.correct_links / self.true_links if self.true_links else 1.0

    @property
    def review_share(self) -> float:
        return self.review_children / self.case_children if self.case_children else 0.0

    def lines(self) -> list[str]:
        return [
            f"automatic links   {self.automatic_links:>8,}  correct {self.correct_links:,} of {self.true_links:,} true links",
            f"precision         {self.precision:>8.4f}  (target at least 0.99)",
            f"recall            {self.recall:>8.4f}  (target at least 0.95)",
            f"review list       {self.review_pairs:>8,}  pairs, {self.review_children:,} children = "
            f"{self.review_share:.1%} of {self.case_children:,} (target under 5%)",
            "by method         " + ", ".join(f"{m} {n:,}" for m, n in sorted(self.by_method.items())),
        ]


def measure(links: pd.DataFrame, review: pd.DataFrame, truth: pd.DataFrame) -> Quality:
    """``links``: core_identity_link rows; ``truth``: source, record_id, person_id."""
    person = {(s, str(r)): p for s, r, p in zip(truth["source"], truth["record_id"], truth["person_id"])}
    case_person = {str(r): p for s, r, p in zip(truth["source"], truth["record_id"], truth["person_id"]) if s == "case_system"}
    auto = links[links["method"].isin(AUTOMATIC) & links["child_id"].notna()]
    correct = sum(person.get((s, str(r))) == case_person.get(str(c)) for s, r, c in zip(auto["source"], auto["record_id"], auto["child_id"]))
    service_people = set(case_person.values())
    present = set(zip(links["source"], links["record_id"].astype(str)))
    true_links = sum(1 for (s, r), p in person.items() if s != "case_system" and p in service_people and (s, r) in present)
    return Quality(
        automatic_links=len(auto), correct_links=int(correct), true_links=true_links,
        review_pairs=len(review), review_children=review["child_id"].nunique() if len(review) else 0,
        case_children=int((links["source"] == "case_system").sum()),
        by_method=auto["method"].value_counts().to_dict(),
    )
