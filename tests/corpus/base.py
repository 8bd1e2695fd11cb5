"""Baseline (good) data for the corpus, built from the specification only.

Everything here is synthetic: the names are invented, the UPNs and PNC ids are generated with
valid check letters, and the postcodes are plausible Leicestershire / Rutland postcodes.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import random
import zipfile

# --------------------------------------------------------------------------- identifiers

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE check letters: no I, O, S
PNC_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"  # PNC check characters: no I, O, S


def upn(la: int, estab: int, year2: int, serial: int) -> str:
    digits = f"{la:03d}{estab:04d}{year2:02d}{serial:03d}"
    total = sum(int(c) * w for c, w in zip(digits, range(2, 14)))
    return UPN_LETTERS[total % 23] + digits


def upn_valid(value: str) -> bool:
    return len(value) == 13 and value[1:].isdigit() and upn(
        int(value[1:4]), int(value[4:8]), int(value[8:10]), int(value[10:13])) == value


def pnc(year2: int, serial: int) -> str:
    return f"{year2:02d}/{serial:07d}{PNC_LETTERS[int(f'{year2:02d}{serial:07d}') % 23]}"


# --------------------------------------------------------------------------- layouts and codes
# Copied from /work/shared/spec/layouts.csv and codes.csv so the corpus is self-contained.

LAYOUT_ROWS = """child,child_id,str,YJ_Children.csv,Child ID,persons,person_ref
child,first_name,str,YJ_Children.csv,First Name,persons,forename
child,last_name,str,YJ_Children.csv,Last Name,persons,surname
child,date_of_birth,date,YJ_Children.csv,Date of Birth,persons,dob
child,sex,sex,YJ_Children.csv,Sex,persons,gender
child,ethnicity,ethnicity,YJ_Children.csv,Ethnicity,persons,ethnic_code
child,postcode,str,YJ_Children.csv,Postcode,persons,post_code
child,upn,str,YJ_Children.csv,UPN,persons,upn
child,pnc_id,str,YJ_Children.csv,PNC ID,persons,pnc
child,local_authority,local_authority,YJ_Children.csv,Local Authority,persons,la_code
episode,episode_id,str,YJ_Episodes.csv,Episode ID,interventions,intervention_ref
episode,child_id,str,YJ_Episodes.csv,Child ID,interventions,person_ref
episode,episode_type,episode_type,YJ_Episodes.csv,Episode Type,interventions,intervention_type
episode,start_date,date,YJ_Episodes.csv,Start Date,interventions,start_dt
episode,planned_end_date,date,YJ_Episodes.csv,Planned End Date,interventions,planned_end_dt
episode,end_date,date,YJ_Episodes.csv,End Date,interventions,end_dt
episode,end_reason,end_reason,YJ_Episodes.csv,End Reason,interventions,closure_reason
episode,outcome_id,str,YJ_Episodes.csv,Outcome ID,interventions,outcome_ref
offence,offence_id,str,YJ_Offences.csv,Offence ID,offences,offence_ref
offence,child_id,str,YJ_Offences.csv,Child ID,offences,person_ref
offence,offence_date,date,YJ_Offences.csv,Offence Date,offences,committed_dt
offence,offence_code,str,YJ_Offences.csv,Offence Code,offences,ho_code
offence,offence_category,offence_category,YJ_Offences.csv,Offence Category,offences,offence_group
offence,gravity_score,int,YJ_Offences.csv,Gravity Score,offences,gravity
offence,outcome_id,str,YJ_Offences.csv,Outcome ID,offences,outcome_ref
outcome,outcome_id,str,YJ_Outcomes.csv,Outcome ID,outcomes,outcome_ref
outcome,child_id,str,YJ_Outcomes.csv,Child ID,outcomes,person_ref
outcome,outcome_date,date,YJ_Outcomes.csv,Outcome Date,outcomes,outcome_dt
outcome,outcome_type,outcome_type,YJ_Outcomes.csv,Outcome Type,outcomes,outcome_code
assessment,assessment_id,str,YJ_Assessments.csv,Assessment ID,assessments,assessment_ref
assessment,child_id,str,YJ_Assessments.csv,Child ID,assessments,person_ref
assessment,episode_id,str,YJ_Assessments.csv,Episode ID,assessments,intervention_ref
assessment,assessment_type,assessment_type,YJ_Assessments.csv,Assessment Type,assessments,assessment_kind
assessment,completed_date,date,YJ_Assessments.csv,Completed Date,assessments,completed_dt
assessment,likelihood_of_reoffending,level,YJ_Assessments.csv,Likelihood of Reoffending,assessments,rol
assessment,risk_of_serious_harm,level,YJ_Assessments.csv,Risk of Serious Harm,assessments,rosh
assessment,safety_wellbeing,level,YJ_Assessments.csv,Safety and Wellbeing,assessments,sw
need,need_id,str,YJ_Needs.csv,Need ID,needs,need_ref
need,child_id,str,YJ_Needs.csv,Child ID,needs,person_ref
need,episode_id,str,YJ_Needs.csv,Episode ID,needs,intervention_ref
need,domain,need_domain,YJ_Needs.csv,Need Domain,needs,need_domain
need,screened_date,date,YJ_Needs.csv,Screened Date,needs,screened_dt
need,need_identified,bool,YJ_Needs.csv,Need Identified,needs,need_flag
need,intervention_planned,bool,YJ_Needs.csv,Intervention Planned,needs,planned_flag
need,intervention_attended,bool,YJ_Needs.csv,Intervention Attended,needs,attended_flag
ete_status,child_id,str,YJ_ETE.csv,Child ID,ete,person_ref
ete_status,episode_id,str,YJ_ETE.csv,Episode ID,ete,intervention_ref
ete_status,recorded_at,recorded_at,YJ_ETE.csv,Recorded At,ete,stage
ete_status,ete_type,ete_type,YJ_ETE.csv,ETE Type,ete,ete_code
ete_status,hours_offered,int,YJ_ETE.csv,Hours Offered,ete,hrs_offered
ete_status,hours_attended,int,YJ_ETE.csv,Hours Attended,ete,hrs_attended
ete_status,suitable,bool,YJ_ETE.csv,Suitable,ete,suitable_flag
accommodation,child_id,str,YJ_Accommodation.csv,Child ID,accommodation,person_ref
accommodation,episode_id,str,YJ_Accommodation.csv,Episode ID,accommodation,intervention_ref
accommodation,recorded_at,recorded_at,YJ_Accommodation.csv,Recorded At,accommodation,stage
accommodation,accommodation_type,accommodation_type,YJ_Accommodation.csv,Accommodation Type,accommodation,accom_code
accommodation,suitable,bool,YJ_Accommodation.csv,Suitable,accommodation,suitable_flag
wider_services,child_id,str,YJ_WiderServices.csv,Child ID,social_care,person_ref
wider_services,status,wider_service_status,YJ_WiderServices.csv,Status,social_care,service_status
wider_services,start_date,date,YJ_WiderServices.csv,Start Date,social_care,start_dt
wider_services,end_date,date,YJ_WiderServices.csv,End Date,social_care,end_dt
victim,victim_id,str,YJ_Victims.csv,Victim ID,victims,victim_ref
victim,offence_id,str,YJ_Victims.csv,Offence ID,victims,offence_ref
victim,victim_kind,victim_kind,YJ_Victims.csv,Victim Kind,victims,victim_type
victim,age_band,str,YJ_Victims.csv,Age Band,victims,age_band
victim,sex,sex,YJ_Victims.csv,Sex,victims,gender
victim,ethnicity,ethnicity,YJ_Victims.csv,Ethnicity,victims,ethnic_code
victim,contact_consent,bool,YJ_Victims.csv,Contact Consent,victims,consent_flag
victim,views_sought,bool,YJ_Victims.csv,Views Sought,victims,views_flag
victim,kept_informed,bool,YJ_Victims.csv,Kept Informed,victims,informed_flag
victim,rj_offered,bool,YJ_Victims.csv,RJ Offered,victims,rj_offered_flag
victim,rj_participated,bool,YJ_Victims.csv,RJ Participated,victims,rj_part_flag"""

CODES_CSV = '''sex,M,Male
sex,F,Female
sex,U,Not known
ethnicity,W1,"White: English, Welsh, Scottish, Northern Irish or British"
ethnicity,W2,White: Irish
ethnicity,W3,White: Gypsy or Irish Traveller
ethnicity,W9,White: Any other White background
ethnicity,M1,Mixed: White and Black Caribbean
ethnicity,M2,Mixed: White and Black African
ethnicity,M3,Mixed: White and Asian
ethnicity,M9,Mixed: Any other Mixed or multiple ethnic background
ethnicity,A1,Asian or Asian British: Indian
ethnicity,A2,Asian or Asian British: Pakistani
ethnicity,A3,Asian or Asian British: Bangladeshi
ethnicity,A4,Asian or Asian British: Chinese
ethnicity,A9,Asian or Asian British: Any other Asian background
ethnicity,B1,Black or Black British: Caribbean
ethnicity,B2,Black or Black British: African
ethnicity,B9,Black or Black British: Any other Black background
ethnicity,O2,Other ethnic group: Arab
ethnicity,O9,Other ethnic group: Any other ethnic group
ethnicity,NS,Not stated
episode_type,PREVENTION,Prevention
episode_type,TURNAROUND,Turnaround
episode_type,COMMUNITY_RESOLUTION,Community Resolution
episode_type,OUTCOME_22,Outcome 22 Deferred Caution
episode_type,YOUTH_RESTORATIVE_DISPOSAL,Youth Restorative Disposal
episode_type,YOUTH_CAUTION,Youth Caution
episode_type,YOUTH_CONDITIONAL_CAUTION,Youth Conditional Caution
episode_type,REFERRAL_ORDER,Referral Order
episode_type,REPARATION_ORDER,Reparation Order
episode_type,FINE,Fine
episode_type,CONDITIONAL_DISCHARGE,Conditional Discharge
episode_type,ABSOLUTE_DISCHARGE,Absolute Discharge
episode_type,YOUTH_REHABILITATION_ORDER,Youth Rehabilitation Order
episode_type,YRO_ISS,YRO with Intensive Supervision and Surveillance
episode_type,DTO,Detention and Training Order
episode_type,S250,Section 250 Detention
episode_type,S259,Section 259 Detention
episode_type,REMAND_YDA,Remand to Youth Detention Accommodation
episode_type,REMAND_LA,Remand to Local Authority Accommodation
episode_type,BAIL_SUPERVISION,Bail Supervision and Support
outcome_type,COMMUNITY_RESOLUTION,Community Resolution
outcome_type,OUTCOME_22,Outcome 22 Deferred Caution
outcome_type,YOUTH_RESTORATIVE_DISPOSAL,Youth Restorative Disposal
outcome_type,YOUTH_CAUTION,Youth Caution
outcome_type,YOUTH_CONDITIONAL_CAUTION,Youth Conditional Caution
outcome_type,REFERRAL_ORDER,Referral Order
outcome_type,REPARATION_ORDER,Reparation Order
outcome_type,FINE,Fine
outcome_type,CONDITIONAL_DISCHARGE,Conditional Discharge
outcome_type,ABSOLUTE_DISCHARGE,Absolute Discharge
outcome_type,YOUTH_REHABILITATION_ORDER,Youth Rehabilitation Order
outcome_type,YRO_ISS,YRO with Intensive Supervision and Surveillance
outcome_type,DTO,Detention and Training Order
outcome_type,S250,Section 250 Detention
outcome_type,S259,Section 259 Detention
outcome_type,REMAND_YDA,Remand to Youth Detention Accommodation
outcome_type,REMAND_LA,Remand to Local Authority Accommodation
outcome_type,NFA,No Further Action
end_reason,COMPLETED,Completed
end_reason,BREACHED,Breached
end_reason,REVOKED,Revoked
end_reason,TRANSFERRED,Transferred
end_reason,DIED,Deceased
end_reason,OTHER,Other
offence_category,VIOLENCE_AGAINST_THE_PERSON,Violence Against the Person
offence_category,ROBBERY,Robbery
offence_category,DRUGS,Drugs
offence_category,SEXUAL,Sexual Offences
offence_category,THEFT_AND_HANDLING,Theft and Handling
offence_category,BURGLARY,Burglary
offence_category,CRIMINAL_DAMAGE,Criminal Damage
offence_category,PUBLIC_ORDER,Public Order
offence_category,MOTORING,Motoring Offences
offence_category,POSSESSION_OF_WEAPONS,Possession of Weapons
offence_category,FRAUD,Fraud and Forgery
offence_category,BREACH,Breach of Order
offence_category,OTHER,Other
assessment_type,ASSETPLUS,AssetPlus
assessment_type,PREVENTION_DIVERSION,Prevention and Diversion Assessment
assessment_type,OTHER,Other
level,LOW,Low
level,MEDIUM,Medium
level,HIGH,High
level,VERY_HIGH,Very High
need_domain,MENTAL_HEALTH,Mental Health and Emotional Wellbeing
need_domain,SUBSTANCE_MISUSE,Substance Misuse
need_domain,SLCN,"Speech, Language and Communication"
need_domain,SEND,Special Educational Needs and Disabilities
recorded_at,START,Start
recorded_at,END,End
ete_type,SCHOOL_FULL_TIME,School (full time)
ete_type,SCHOOL_PART_TIME_TIMETABLE,School (part-time timetable)
ete_type,ALTERNATIVE_PROVISION,Alternative Provision
ete_type,PRU,Pupil Referral Unit
ete_type,EHE,Elective Home Education
ete_type,COLLEGE,College / Further Education
ete_type,TRAINING,Training
ete_type,APPRENTICESHIP,Apprenticeship
ete_type,EMPLOYMENT,Employment
ete_type,NEET,"Not in Education, Employment or Training"
ete_type,NOT_KNOWN,Not Known
accommodation_type,WITH_PARENTS,Living with Parents
accommodation_type,WITH_OTHER_FAMILY,Living with Other Family
accommodation_type,FOSTER_CARE,Foster Care
accommodation_type,CHILDRENS_HOME,Children's Home
accommodation_type,SUPPORTED_ACCOMMODATION,Supported Accommodation
accommodation_type,INDEPENDENT,Independent Living
accommodation_type,BED_AND_BREAKFAST,Bed and Breakfast
accommodation_type,NO_FIXED_ABODE,No Fixed Abode
accommodation_type,CUSTODY,Custody
accommodation_type,OTHER,Other
accommodation_type,NOT_KNOWN,Not Known
wider_service_status,EARLY_HELP,Early Help
wider_service_status,CHILD_IN_NEED,Child in Need
wider_service_status,CHILD_PROTECTION,Child Protection Plan
wider_service_status,LOOKED_AFTER,Looked After Child
wider_service_status,CARE_LEAVER,Care Leaver
victim_kind,PERSON,Individual
victim_kind,BUSINESS,Business / Organisation
local_authority,LEICESTERSHIRE,Leicestershire
local_authority,RUTLAND,Rutland'''

LABELS: dict[str, dict[str, str]] = {}
for _row in csv.reader(io.StringIO(CODES_CSV)):
    LABELS.setdefault(_row[0], {})[_row[1]] = _row[2]


class Raw:
    """A value written as-is, whatever the column's type: what a person or a tool typed."""
    def __init__(self, corepl, childview=None):
        self.corepl = corepl
        self.childview = corepl if childview is None else childview


class Column:
    def __init__(self, table, name, kind, cfile, chead, sheet, cvhead):
        self.table, self.name, self.kind = table, name, kind
        self.corepl_file, self.corepl_header = cfile, chead
        self.sheet, self.childview_header = sheet, cvhead


COLUMNS = [Column(*r) for r in csv.reader(io.StringIO(LAYOUT_ROWS))]
TABLES = list(dict.fromkeys(c.table for c in COLUMNS))
TABLE_COLUMNS = {t: [c for c in COLUMNS if c.table == t] for t in TABLES}
COREPL_FILE = {t: TABLE_COLUMNS[t][0].corepl_file for t in TABLES}
CHILDVIEW_SHEET = {t: TABLE_COLUMNS[t][0].sheet for t in TABLES}

# --------------------------------------------------------------------------- the cohort

D = dt.date
EXTRACTED = dt.datetime(2026, 11, 21, 2, 10, 0)

# first, last, sex, self-defined ethnicity, LA, postcode, upn known, pnc known
CHILDREN_SPEC = [
    ("Oliver", "Hartshorne", "M", "W1", "LEICESTERSHIRE", "LE11 3QF", True, True),
    ("Jayden", "Clarke-Bailey", "M", "M1", "LEICESTERSHIRE", "LE10 1RL", True, True),
    ("Priya", "Mistry", "F", "A1", "LEICESTERSHIRE", "LE18 4PD", True, False),
    ("Harpreet", "Sandhu", "M", "A1", "LEICESTERSHIRE", "LE2 9BB", True, True),
    ("Yusuf", "Bhayat", "M", "A9", "LEICESTERSHIRE", "LE4 9HA", True, True),
    ("Amina", "Hussain", "F", "A2", "LEICESTERSHIRE", "LE11 1DZ", True, False),
    ("Kacper", "Nowakowski", "M", "W9", "LEICESTERSHIRE", "LE67 3FU", True, True),
    ("Zofia", "Wiśniewska", "F", "W9", "LEICESTERSHIRE", "LE13 0PN", True, False),
    ("Tyrone", "Campbell", "M", "B1", "LEICESTERSHIRE", "LE9 6PJ", True, True),
    ("Chidera", "Okafor", "F", "B2", "LEICESTERSHIRE", "LE3 8RW", True, False),
    ("Ruby-Mae", "Stapleford", "F", "W1", "LEICESTERSHIRE", "LE16 7AW", True, True),
    ("Callum", "O'Brien", "M", "W2", "LEICESTERSHIRE", "LE17 4EQ", True, True),
    ("Levi", "Boswell", "M", "W3", "LEICESTERSHIRE", "LE12 9TS", False, True),
    ("Aaliyah", "Begum", "F", "A3", "LEICESTERSHIRE", "LE7 1HN", True, False),
    ("Ethan", "Zhang", "M", "A4", "LEICESTERSHIRE", "LE11 2HN", True, False),
    ("Deividas", "Kazlauskas", "M", "W9", "LEICESTERSHIRE", "LE10 0FT", True, True),
    ("Ștefan", "Popescu", "M", "W9", "LEICESTERSHIRE", "LE65 1HQ", True, True),
    ("Jaspreet", "Gill", "M", "A1", "LEICESTERSHIRE", "LE8 6NF", True, True),
    ("Rohan", "Chauhan", "M", "A1", "LEICESTERSHIRE", "LE7 7PG", True, False),
    ("Keisha", "Thompson-Reid", "F", "M1", "LEICESTERSHIRE", "LE9 2DG", True, True),
    ("Liam", "Wetherall", "M", "W1", "LEICESTERSHIRE", "LE67 9QA", True, True),
    ("Zoë", "Atkinson", "F", "W1", "LEICESTERSHIRE", "LE12 6LL", True, False),
    ("Hamza", "Mahmood", "M", "A2", "LEICESTERSHIRE", "LE4 6PN", True, True),
    ("Faisal", "Abdirahman", "M", "B2", "LEICESTERSHIRE", "LE18 2BE", True, True),
    ("Nasra", "Warsame", "F", "B2", "LEICESTERSHIRE", None, True, False),
    ("Riley", "Bennett", "M", "M3", "LEICESTERSHIRE", "LE19 2AA", True, True),
    ("Dominik", "Horváth", "M", "W9", "LEICESTERSHIRE", "LE13 1JT", False, True),
    ("Sahil", "Lad", "M", "A1", "LEICESTERSHIRE", "LE7 3HE", True, False),
    ("Mia", "Oyelaran-Johnson", "F", "M2", "RUTLAND", "LE15 6DT", True, False),
    ("Kayden", "Spencer", "M", "W1", "RUTLAND", "LE15 9AH", True, True),
    ("Bartosz", "Kowalczyk", "M", "W9", "RUTLAND", "LE15 6RB", True, True),
    ("Simran", "Dhillon", "F", "NS", "RUTLAND", "PE9 3RN", False, False),
    ("Jordan", "McAllister", "U", "", "LEICESTERSHIRE", "LE11 5UX", True, True),
]

OFFENCES = [  # Home Office style code, category, gravity
    ("008/01", "VIOLENCE_AGAINST_THE_PERSON", 5), ("105/01", "VIOLENCE_AGAINST_THE_PERSON", 3),
    ("034/01", "ROBBERY", 6), ("092/08", "DRUGS", 3), ("092/01", "DRUGS", 6),
    ("046/00", "THEFT_AND_HANDLING", 2), ("028/01", "BURGLARY", 5), ("058/01", "CRIMINAL_DAMAGE", 2),
    ("066/01", "PUBLIC_ORDER", 3), ("810/01", "MOTORING", 3), ("010/05", "POSSESSION_OF_WEAPONS", 5),
    ("053/01", "FRAUD", 3), ("080/01", "BREACH", 3), ("802/01", "OTHER", 2),
]
OUTCOME_PLAN = ["COMMUNITY_RESOLUTION", "OUTCOME_22", "YOUTH_CAUTION", "YOUTH_CONDITIONAL_CAUTION",
                "REFERRAL_ORDER", "YOUTH_REHABILITATION_ORDER", "REFERRAL_ORDER", "YRO_ISS", "DTO",
                "REPARATION_ORDER", "YOUTH_RESTORATIVE_DISPOSAL", "CONDITIONAL_DISCHARGE", "FINE",
                "REMAND_LA", "YOUTH_CAUTION", "REFERRAL_ORDER"]
LENGTH_DAYS = {"COMMUNITY_RESOLUTION": 90, "OUTCOME_22": 112, "YOUTH_RESTORATIVE_DISPOSAL": 60,
               "YOUTH_CAUTION": 90, "YOUTH_CONDITIONAL_CAUTION": 112, "REFERRAL_ORDER": 270,
               "REPARATION_ORDER": 90, "FINE": 1, "CONDITIONAL_DISCHARGE": 365,
               "ABSOLUTE_DISCHARGE": 1, "YOUTH_REHABILITATION_ORDER": 365, "YRO_ISS": 365,
               "DTO": 240, "REMAND_LA": 45, "PREVENTION": 120, "TURNAROUND": 120}


def build_cohort() -> dict[str, list[dict]]:
    """The canonical tables of one nightly snapshot (values in canonical form)."""
    rnd = random.Random(20261121)
    t: dict[str, list[dict]] = {name: [] for name in TABLES}
    school = [1102, 4021, 4105, 5401, 4630, 4007, 2153, 4512]
    for i, (first, last, sex, eth, la, pc, has_upn, has_pnc) in enumerate(CHILDREN_SPEC):
        cid = f"C{100101 + i}"
        age = 12 + (i * 5) % 6  # 12..17 on the extract date, so 10 or over at every offence
        dob = D(2026, 11, 21) - dt.timedelta(days=int(age * 365.25) + rnd.randint(1, 330))
        la_num = 857 if la == "RUTLAND" else 855
        t["child"].append(dict(
            child_id=cid, first_name=first, last_name=last, date_of_birth=dob, sex=sex,
            ethnicity=eth, postcode=pc,
            upn=upn(la_num, school[i % len(school)], (dob.year + 5) % 100, 101 + i * 3) if has_upn else None,
            pnc_id=pnc(23 + i % 3, 180000 + i * 4111) if has_pnc else None, local_authority=la))
        # prevention-only children: every fifth child
        n_off = 0 if i % 5 == 4 else (2 if i % 4 == 1 else 1)
        first_ep_start = D(2025, 3, 1) + dt.timedelta(days=(i * 23) % 400)
        if n_off == 0:
            ep_type = "TURNAROUND" if i % 2 else "PREVENTION"
            _add_episode(t, rnd, cid, f"E{500001 + i * 3}", ep_type, first_ep_start, None)
        for k in range(n_off):
            code, cat, grav = OFFENCES[(i * 3 + k * 5) % len(OFFENCES)]
            otype = OUTCOME_PLAN[(i + k * 7) % len(OUTCOME_PLAN)]
            off_date = first_ep_start + dt.timedelta(days=k * 160)
            out_date = off_date + dt.timedelta(days=14 + rnd.randint(0, 40))
            oid, fid = f"O{700001 + i * 3 + k}", f"F{300001 + i * 3 + k}"
            t["offence"].append(dict(offence_id=fid, child_id=cid, offence_date=off_date, offence_code=code,
                                     offence_category=cat, gravity_score=grav, outcome_id=oid))
            t["outcome"].append(dict(outcome_id=oid, child_id=cid, outcome_date=out_date, outcome_type=otype))
            _add_episode(t, rnd, cid, f"E{500001 + i * 3 + k}", otype, out_date, oid)
            for v in range(1 if i % 3 else 0, 1 if i % 3 == 1 else 2):
                vid = f"V{900001 + i * 3 + k}{v}"
                if (i + k) % 4 == 0:
                    t["victim"].append(dict(victim_id=vid, offence_id=fid, victim_kind="BUSINESS", age_band=None,
                                            sex=None, ethnicity=None, contact_consent=True, views_sought=True,
                                            kept_informed=bool(i % 2), rj_offered=False, rj_participated=None))
                else:
                    t["victim"].append(dict(victim_id=vid, offence_id=fid, victim_kind="PERSON",
                                            age_band=["10-17", "18-24", "25-34", "35-49", "50-64", "65+"][(i + v) % 6],
                                            sex="FM"[(i + v) % 2], ethnicity=["W1", "A1", "B2", "M1", "NS"][(i + k) % 5],
                                            contact_consent=(i % 3 != 2), views_sought=(i % 3 != 2),
                                            kept_informed=True, rj_offered=(i % 2 == 0),
                                            rj_participated=(i % 4 == 0) if i % 2 == 0 else None))
        if i % 3 == 0:
            status = ["EARLY_HELP", "CHILD_IN_NEED", "CHILD_PROTECTION", "LOOKED_AFTER", "CARE_LEAVER"][i % 5]
            st = D(2024, 1 + i % 12, 3 + i % 20)
            t["wider_services"].append(dict(child_id=cid, status=status, start_date=st,
                                            end_date=None if i % 2 else st + dt.timedelta(days=300)))
    return t


def _add_episode(t, rnd, cid, eid, etype, start, oid):
    length = LENGTH_DAYS.get(etype, 180)
    planned = start + dt.timedelta(days=length)
    closed = planned < D(2026, 11, 1)
    end = max(start, planned + dt.timedelta(days=rnd.randint(-10, 10))) if closed else None
    if end and end > D(2026, 11, 20):
        end = D(2026, 11, 20)
    reason = (["COMPLETED"] * 6 + ["BREACHED", "REVOKED", "TRANSFERRED", "OTHER"])[rnd.randint(0, 9)] if closed else None
    t["episode"].append(dict(episode_id=eid, child_id=cid, episode_type=etype, start_date=start,
                             planned_end_date=planned, end_date=end, end_reason=reason, outcome_id=oid))
    n = len(t["assessment"])
    t["assessment"].append(dict(
        assessment_id=f"A{600001 + n}", child_id=cid, episode_id=eid,
        assessment_type="PREVENTION_DIVERSION" if etype in ("PREVENTION", "TURNAROUND", "COMMUNITY_RESOLUTION",
                                                             "OUTCOME_22", "YOUTH_RESTORATIVE_DISPOSAL") else "ASSETPLUS",
        completed_date=start + dt.timedelta(days=rnd.randint(5, 25)),
        likelihood_of_reoffending=["LOW", "MEDIUM", "HIGH", None][n % 4],
        risk_of_serious_harm=["LOW", "MEDIUM", "HIGH", "VERY_HIGH"][n % 4],
        safety_wellbeing=["LOW", "MEDIUM", "HIGH", "VERY_HIGH", None][n % 5]))
    for j, domain in enumerate(["MENTAL_HEALTH", "SUBSTANCE_MISUSE", "SLCN", "SEND"]):
        if (n + j) % 2:
            continue
        ident = (n + j) % 3 != 0
        t["need"].append(dict(need_id=f"N{800001 + len(t['need'])}", child_id=cid, episode_id=eid, domain=domain,
                              screened_date=start + dt.timedelta(days=7 + j) if (n + j) % 5 else None,
                              need_identified=ident, intervention_planned=ident and (n % 2 == 0),
                              intervention_attended=ident and (n % 4 == 0)))
    stages = ["START", "END"] if end else ["START"]
    for stage in stages:
        ete = ["SCHOOL_FULL_TIME", "SCHOOL_PART_TIME_TIMETABLE", "ALTERNATIVE_PROVISION", "COLLEGE", "NEET",
               "TRAINING", "PRU", "APPRENTICESHIP", "EHE", "NOT_KNOWN"][(n + (stage == "END")) % 10]
        hrs = {"SCHOOL_FULL_TIME": 25, "SCHOOL_PART_TIME_TIMETABLE": 10, "ALTERNATIVE_PROVISION": 15,
               "COLLEGE": 16, "TRAINING": 20, "PRU": 20, "APPRENTICESHIP": 30}.get(ete)
        t["ete_status"].append(dict(child_id=cid, episode_id=eid, recorded_at=stage, ete_type=ete,
                                    hours_offered=hrs, hours_attended=None if hrs is None else max(0, hrs - (n * 3) % 9),
                                    suitable=None if ete == "NOT_KNOWN" else ete not in ("NEET", "SCHOOL_PART_TIME_TIMETABLE")))
        acc = ["WITH_PARENTS", "WITH_PARENTS", "WITH_OTHER_FAMILY", "FOSTER_CARE", "CHILDRENS_HOME",
               "SUPPORTED_ACCOMMODATION", "WITH_PARENTS", "BED_AND_BREAKFAST", "NOT_KNOWN", "CUSTODY"][(n * 3 + (stage == "END")) % 10]
        t["accommodation"].append(dict(child_id=cid, episode_id=eid, recorded_at=stage, accommodation_type=acc,
                                       suitable=None if acc == "NOT_KNOWN" else acc not in ("BED_AND_BREAKFAST",)))


# --------------------------------------------------------------------------- formatting

def dmy(d):
    return "" if d is None else d.strftime("%d/%m/%Y")


def iso(d):
    return "" if d is None else d.isoformat()


def corepl_grid(tables) -> dict[str, tuple[list[str], list[list[str]]]]:
    """{file name: (header, rows of strings)} in the corepl layout."""
    out = {}
    for t in TABLES:
        cols = TABLE_COLUMNS[t]
        rows = []
        for rec in tables[t]:
            row = []
            for c in cols:
                v = rec[c.name]
                if isinstance(v, Raw):
                    row.append(v.corepl)
                elif v is None or v == "":
                    row.append("")
                elif c.kind == "date":
                    row.append(dmy(v))
                elif c.kind == "bool":
                    row.append("Yes" if v else "No")
                elif c.kind == "int":
                    row.append(str(v))
                elif c.kind in LABELS:
                    row.append(LABELS[c.kind][v] if c.kind != "local_authority" else v.title())
                else:
                    row.append(str(v))
            rows.append(row)
        out[COREPL_FILE[t]] = ([c.corepl_header for c in cols], rows)
    return out


def childview_grid(tables, date_cells=("persons",)) -> dict[str, tuple[list[str], list[list]]]:
    """{sheet: (header, rows of cell values)}; dates are real date cells on the sheets named in
    date_cells and ISO text elsewhere (both are allowed by the layout)."""
    out = {}
    for t in TABLES:
        cols, sheet = TABLE_COLUMNS[t], CHILDVIEW_SHEET[t]
        rows = []
        for rec in tables[t]:
            row = []
            for c in cols:
                v = rec[c.name]
                if isinstance(v, Raw):
                    row.append(v.childview)
                elif v is None or v == "":
                    row.append(None)
                elif c.kind == "date":
                    row.append(dt.datetime(v.year, v.month, v.day) if sheet in date_cells else v.isoformat())
                elif c.kind == "bool":
                    row.append(1 if v else 0)
                else:
                    row.append(v)
            rows.append(row)
        out[sheet] = ([c.childview_header for c in cols], rows)
    return out


def csv_text(header, rows, *, delim=",", eol="\r\n", raw_rows=(), quote_all=False) -> str:
    """CSV with minimal quoting; rows whose index is in raw_rows are joined with no quoting at
    all (what a hand-rolled export does). header=None writes no header."""
    def q(v):
        v = "" if v is None else str(v)
        if quote_all or any(ch in v for ch in (delim, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v
    lines = [] if header is None else [delim.join(q(h) for h in header)]
    for i, r in enumerate(rows):
        lines.append(delim.join("" if v is None else str(v) for v in r) if i in raw_rows else delim.join(q(v) for v in r))
    return eol.join(lines) + eol


FIXED_ZIP_TIME = (2026, 11, 21, 2, 10, 0)


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so the corpus is byte-for-byte deterministic."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                import re
                body = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-21T02:10:00Z", body)
            zi = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return buf.getvalue()


def xlsx_bytes(sheets, *, merges=None, blank_styled_rows=None, date_format="dd/mm/yyyy", title_rows=None) -> bytes:
    """sheets: list of (name, header, rows); header None writes no header row.
    title_rows: {sheet: [row, ...]} written above the header."""
    from .xlsx import xlsx
    full = []
    for name, header, rows in sheets:
        body = [list(r) for r in (title_rows or {}).get(name, [])]
        if header is not None:
            body.append(list(header))
        body += [list(r) for r in rows]
        full.append((name, body))
    return xlsx(full, merges=merges, blank_styled_rows=blank_styled_rows, date_format=date_format)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(delivery_id, supplier, extracted_at, files) -> bytes:
    """files: list of (name, bytes, rows dict)."""
    doc = {"delivery_id": delivery_id, "supplier": supplier,
           "extracted_at": extracted_at if isinstance(extracted_at, str) else extracted_at.isoformat(),
           "files": [{"name": n, "sha256": sha256(b), "rows": r} for n, b, r in files]}
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- police custody

CUSTODY_HEADER = ["custody_ref", "custody_suite", "arrest_datetime", "arrival_datetime",
                  "detention_authorised_datetime", "release_datetime", "surname", "forenames", "date_of_birth",
                  "sex", "self_defined_ethnicity", "officer_defined_ethnicity", "postcode", "pnc_id",
                  "offence_description", "offence_code", "appropriate_adult_requested",
                  "appropriate_adult_arrived", "strip_search", "outcome", "pace_transfer_requested",
                  "pace_transfer_type", "pace_transfer_achieved", "reason_not_transferred"]

# people detained who are not in the case system (out of area, or not yet known)
CUSTODY_OTHERS = [
    ("Kowalski", "Mateusz", D(2010, 4, 17), "M", "W9", "IC1", "NG10 3AB", pnc(25, 211873)),
    ("Rahman", "Imran Ali", D(2011, 12, 2), "M", "A3", "IC4", "LE1 2GH", None),
    ("Adeyemi", "Grace Oluwaseun", D(2009, 8, 30), "F", "B2", "IC3", "CV11 4DN", pnc(24, 305512)),
    ("Mensah-Brown", "Kwame", D(2012, 2, 14), "M", "M2", "IC3", None, None),
]
SUITES = ["Euston Street", "Beaumont Leys", "Keyham Lane", "Loughborough"]


def _dtm(d: dt.datetime | None) -> str:
    return "" if d is None else d.strftime("%Y-%m-%dT%H:%M:%S")


def custody_people(cohort):
    kids = [c for c in cohort["child"] if c["pnc_id"]][:8]
    people = [(c["last_name"], c["first_name"], c["date_of_birth"], c["sex"], c["ethnicity"] or "NS",
               ["IC1", "IC2", "IC3", "IC4", "IC6"][k % 5], c["postcode"], c["pnc_id"]) for k, c in enumerate(kids)]
    return people + CUSTODY_OTHERS


def custody_records(cohort, file_time: dt.datetime, *, count=9, release_all=False):
    """Detentions open at any time in the 48 hours before file_time, as dicts of strings."""
    people = custody_people(cohort)
    base = dt.datetime(2026, 11, 19, 9, 0)
    recs = []
    descs = ["Assault by beating", "Theft from a shop", "Possession of a bladed article in a public place",
             "Robbery of personal property", "Criminal damage to a vehicle", "Possession of cannabis",
             "Burglary dwelling", "Affray", "Breach of youth rehabilitation order", "Aggravated vehicle taking",
             "Assault on an emergency worker", "Possession with intent to supply class A"]
    codes = ["105/01", "046/00", "010/05", "034/01", "058/01", "092/08", "028/01", "066/01", "080/01",
             "037/02", "104/39", "092/01"]
    outcomes = ["CHARGED_BAILED", "RUI", "NFA", "CHARGED_REMANDED", "COMMUNITY_RESOLUTION", "YOUTH_CAUTION",
                "PRE_CHARGE_BAIL", "REFERRED_TO_PANEL", "YOUTH_CONDITIONAL_CAUTION", "OTHER", "RUI", "CHARGED_BAILED"]
    for k in range(count):
        sur, fore, dob, sex, eth, ic, pc, pncid = people[k % len(people)]
        arrival = base + dt.timedelta(hours=5 * k + (k * 37) % 5, minutes=(k * 17) % 60)
        if arrival >= file_time - dt.timedelta(minutes=30):
            continue  # not yet detained when the file was written
        arrest = arrival - dt.timedelta(minutes=25 + (k * 7) % 40)
        release = arrival + dt.timedelta(hours=6 + (k * 5) % 14)
        released = release <= file_time or release_all
        outcome = outcomes[k % len(outcomes)] if released else ""
        remand = outcome == "CHARGED_REMANDED"
        recs.append({
            "custody_ref": f"LP/{26000 + 137 * k + 11}/26", "custody_suite": SUITES[k % len(SUITES)],
            "arrest_datetime": _dtm(arrest) if k % 6 else "", "arrival_datetime": _dtm(arrival),
            "detention_authorised_datetime": _dtm(arrival + dt.timedelta(minutes=12 + k)),
            "release_datetime": _dtm(release) if released else "",
            "surname": sur, "forenames": fore, "date_of_birth": dob.isoformat(), "sex": sex,
            "self_defined_ethnicity": eth if k % 7 else "", "officer_defined_ethnicity": ic, "postcode": pc or "",
            "pnc_id": pncid or "", "offence_description": descs[k % len(descs)], "offence_code": codes[k % len(codes)],
            "appropriate_adult_requested": _dtm(arrival + dt.timedelta(minutes=20)),
            "appropriate_adult_arrived": _dtm(arrival + dt.timedelta(minutes=95 + 13 * k)) if k % 4 else "",
            "strip_search": "Y" if k % 5 == 2 else "N", "outcome": outcome,
            "pace_transfer_requested": "Y" if remand else ("N" if released else ""),
            "pace_transfer_type": "SECURE" if remand else "", "pace_transfer_achieved": "N" if remand else "",
            "reason_not_transferred": "No secure bed available in the region" if remand else "",
        })
    return recs


def custody_rows(recs, header=CUSTODY_HEADER):
    return [[r[h] for h in header] for r in recs]


def custody_name(t: dt.datetime) -> str:
    return f"custody_{t:%Y%m%d_%H%M}.csv"


# --------------------------------------------------------------------------- education

PUPILS_HEADER = ["upn", "former_upn", "surname", "forename", "date_of_birth", "sex", "ethnicity", "postcode",
                 "school_urn", "school_name", "nc_year", "sen_provision", "ehcp_start_date",
                 "ehcp_last_review_date", "ehe", "ehe_start_date", "cme", "part_time_timetable", "part_time_hours"]
SUSP_HEADER = ["upn", "school_urn", "start_date", "category", "sessions", "reason_code"]
ATT_HEADER = ["upn", "period_start", "period_end", "possible_sessions", "attended_sessions", "unauthorised_sessions"]
CCIS_HEADER = ["ccis_id", "upn", "surname", "forename", "date_of_birth", "activity_code", "activity_start_date"]
DFE_ETH = {"W1": "WBRI", "W2": "WIRI", "W3": "WIRT", "W9": "WOTH", "M1": "MWBC", "M2": "MWBA", "M3": "MWAS",
           "A1": "AIND", "A2": "APKN", "A3": "ABAN", "A4": "CHNE", "A9": "AOTH", "B1": "BCRB", "B2": "BAFR",
           "NS": "REFU", "": "NOBT"}
SCHOOLS = [("120341", "Rawlins Academy"), ("137412", "Castle Rock High School"),
           ("139801", "Uppingham Community College"), ("138577", "Lutterworth College"),
           ("140228", "The Hinckley School"), ("136710", "Beauchamp College"), ("120303", "Wreake Valley Academy"),
           ("145530", "Oakham C of E Primary School")]


def nc_year(dob: dt.date) -> int:
    # academic year 2026/27: children born Sep 2014 - Aug 2015 are in year 7
    ay = dob.year + (1 if dob.month >= 9 else 0)
    return 7 + (2015 - ay)


def education_rows(cohort):
    pupils, susp, att = [], [], []
    school_age = [c for c in cohort["child"] if c["upn"] and nc_year(c["date_of_birth"]) <= 11]
    for k, c in enumerate(school_age):
        urn, name = SCHOOLS[k % len(SCHOOLS)]
        sen = "EKNNN"[k % 5]
        ehe = k % 11 == 6
        ptt = k % 6 == 3
        pupils.append([c["upn"], "", c["last_name"], c["first_name"], c["date_of_birth"].isoformat(), c["sex"],
                       DFE_ETH.get(c["ethnicity"], "NOBT"), c["postcode"] or "", "" if ehe else urn,
                       "" if ehe else name, str(nc_year(c["date_of_birth"])), sen,
                       "2023-02-13" if sen == "E" else "", "2026-02-10" if sen == "E" else "",
                       "Y" if ehe else "N", "2026-01-05" if ehe else "", "N", "Y" if ptt else "N",
                       "12.5" if ptt else ""])
        if not ehe:
            # Sessions attended plus unauthorised absences never exceed the sessions possible (DfE:
            # possible = attended + authorised absence + unauthorised absence).
            attended = 104 - (k * 7) % 40
            att.append([c["upn"], "2026-09-03", "2026-11-20", "104", str(attended), str(min((k * 3) % 15, 104 - attended))])
            if k % 3 == 0:
                susp.append([c["upn"], urn, f"2026-{9 + k % 3:02d}-{10 + k:02d}",
                             "PERMANENT_EXCLUSION" if k == 9 else "SUSPENSION", str(2 + k % 6),
                             ["PA", "PP", "VA", "VP", "DA", "PD", "OW", "OT"][k % 8]])
    # a few pupils who are not known to the service
    for k, (sur, fore, dob, sex, eth) in enumerate([
            ("Fletcher", "Amelia", D(2012, 10, 3), "F", "WBRI"), ("Parmar", "Nikhil", D(2013, 1, 22), "M", "AIND"),
            ("Nwosu", "Tobenna", D(2011, 6, 9), "M", "BAFR"), ("Szabó", "Réka", D(2012, 3, 28), "F", "WOTH")]):
        u = upn(855, 4105, (dob.year + 5) % 100, 700 + k)
        urn, name = SCHOOLS[(k + 3) % len(SCHOOLS)]
        pupils.append([u, "", sur, fore, dob.isoformat(), sex, eth, ["LE12 8TF", "LE18 3RA", "LE9 7LA", "LE13 1EE"][k],
                       urn, name, str(nc_year(dob)), "N", "", "", "N", "", "N", "N", ""])
        att.append([u, "2026-09-03", "2026-11-20", "104", str(101 - k), "0"])
    return pupils, susp, att


CCIS_ACTIVITIES = ["110", "120", "210", "320", "410", "540", "550", "619", "810"]


def ccis_rows(cohort):
    older = [c for c in cohort["child"] if nc_year(c["date_of_birth"]) >= 12]
    rows = []
    for k, c in enumerate(older):
        rows.append([f"CC{455100 + 7 * k}", c["upn"] or "", c["last_name"], c["first_name"],
                     c["date_of_birth"].isoformat(), CCIS_ACTIVITIES[k % len(CCIS_ACTIVITIES)],
                     f"2026-{9 + k % 3:02d}-{1 + (k * 5) % 27:02d}"])
    return rows


# --------------------------------------------------------------------------- board and population

BOARD_HEADER = ["meeting_date", "partner", "member_role", "attended", "senior"]
BOARD_MEETINGS = [D(2025, 12, 4), D(2026, 3, 12), D(2026, 6, 11), D(2026, 9, 17)]
BOARD_PARTNERS = [("POLICE", "Chief Inspector, Local Policing"), ("PROBATION", "Head of Probation Delivery Unit"),
                  ("HEALTH", "Designated Nurse, ICB"), ("CHILDRENS_SOCIAL_CARE", "Assistant Director, Children's Social Care"),
                  ("EDUCATION", "Head of Inclusion"), ("Leicestershire Fire and Rescue Service", "Group Manager, Prevention"),
                  ("Office of the Police and Crime Commissioner", "Head of Commissioning")]


def board_rows():
    rows = []
    for m, d in enumerate(BOARD_MEETINGS):
        for p, (partner, role) in enumerate(BOARD_PARTNERS):
            attended = (m + p) % 5 != 3
            rows.append([dt.datetime(d.year, d.month, d.day), partner, role, "Y" if attended else "N",
                         ("Y" if (m * p) % 4 != 1 else "N") if attended else "N"])
    return rows


POP_HEADER = ["area", "year", "age", "sex", "ethnic_group", "population", "source"]
POP_SHARE = {"White": 0.79, "Mixed": 0.045, "Asian": 0.125, "Black": 0.025, "Other": 0.015}


def population_rows():
    rows = []
    for area, per_age in (("LEICESTERSHIRE", 8150), ("RUTLAND", 455)):
        for age in range(10, 18):
            for sex, share in (("M", 0.513), ("F", 0.487)):
                for group, g in POP_SHARE.items():
                    n = round(per_age * (1 + (age - 13) * 0.012) * share * (g if area != "RUTLAND" or group == "White" else g / 3))
                    rows.append([area, "2025", str(age), sex, group, str(n), "ONS mid-2025 estimates (synthetic)"])
    return rows
