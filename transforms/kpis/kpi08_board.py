"""KPI 8 Management board attendance (kpis.md), from the board register."""
from transforms.kpis.registry import KPIS_INTRODUCED, REGISTRY, Figure, Rule

STATUTORY_PARTNERS = ("POLICE", "PROBATION", "HEALTH", "CHILDRENS_SOCIAL_CARE", "EDUCATION")


def compute(inputs, quarter, rules):
    board = inputs.board.copy()
    board["partner"] = board["partner"].str.strip().str.upper()
    held = board[(board["meeting_date"] >= quarter.start) & (board["meeting_date"] <= quarter.end)]
    meetings = sorted({d.isoformat() for d in held["meeting_date"]})
    out = [Figure("kpi8", "kpi8.meetings", "TOTAL", float(len(meetings)), members=tuple(meetings), member_kind="meeting_date")]
    others = sorted(set(board["partner"]) - set(STATUTORY_PARTNERS))
    for partner in STATUTORY_PARTNERS + tuple(others):
        rows = held[(held["partner"] == partner) & held["attended"] & held["senior"]]
        dates = sorted({d.isoformat() for d in rows["meeting_date"]})
        out.append(Figure("kpi8", "kpi8.attended", partner, float(len(dates)), members=tuple(dates),
                          member_kind="meeting_date"))
    return out


RULE = REGISTRY.register(Rule("kpi8", "KPI 8 Management board attendance", "kpis.md 2023-04", KPIS_INTRODUCED,
                              ("board_attendance",), compute,
                              "Board meetings held, and those each partner attended with a senior representative."))
