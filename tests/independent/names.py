"""Name, place and code data for the independent record-set generator.

Built from public sources (see README.md), not from the project's own generator.
Every list is ordered and fixed so that a seed reproduces the same records.
"""

# --- communities: weight in the 10-17 population of the Leicester / Leicestershire / Rutland area,
# blended city + county (Census 2021: Leicester city ~33% White British, ~43% Asian; county ~85% White).
COMMUNITIES = [
    # key, weight, ethnicity (18+1), DfE code
    ("white_british", 46, "W1", "WBRI"),
    ("gujarati_hindu", 11, "A1", "AIND"),
    ("punjabi_sikh", 5, "A1", "AIND"),
    ("muslim_indian", 5, "A1", "AIND"),
    ("muslim_pakistani", 3, "A2", "APKN"),
    ("muslim_bangladeshi", 3, "A3", "ABAN"),
    ("somali", 4, "B2", "BSOM"),
    ("black_caribbean", 3, "B1", "BCRB"),
    ("black_african", 3, "B2", "BAFR"),
    ("polish", 5, "W9", "WPOL"),
    ("romanian", 3, "W9", "WOTH"),
    ("mixed", 7, "M1", "MWBC"),
    ("irish_traveller", 1, "W3", "WIRT"),
    ("other", 1, "O9", "OOTH"),
]

# given names: (formal, [short forms / nicknames]) -- short forms as used by the child or police
WB_MALE = [
    ("Oliver", ["Ollie", "Olly"]), ("Jack", []), ("Harry", []), ("George", []), ("Charlie", []),
    ("Thomas", ["Tom", "Tommy"]), ("James", ["Jamie", "Jim"]), ("William", ["Will", "Billy"]),
    ("Joshua", ["Josh"]), ("Alexander", ["Alex", "Xander"]), ("Daniel", ["Dan", "Danny"]),
    ("Samuel", ["Sam"]), ("Joseph", ["Joe"]), ("Benjamin", ["Ben"]), ("Matthew", ["Matt"]),
    ("Robert", ["Bobby", "Rob", "Robbie"]), ("Callum", []), ("Kyle", []), ("Connor", ["Conor"]),
    ("Tyler", []), ("Liam", []), ("Kieran", ["Kieron"]), ("Bradley", ["Brad"]), ("Reece", ["Rhys"]),
    ("Jayden", ["Jaden"]), ("Lewis", ["Louis"]), ("Ethan", []), ("Mason", []), ("Riley", []),
    ("Nathan", ["Nate"]), ("Michael", ["Mike", "Mikey"]), ("Anthony", ["Tony", "Ant"]),
    ("Christopher", ["Chris"]), ("Jordan", []), ("Frederick", ["Freddie", "Fred"]),
    ("Edward", ["Eddie", "Ted"]), ("Archie", []), ("Alfie", []), ("Leo", []), ("Max", []),
]
WB_FEMALE = [
    ("Olivia", ["Liv", "Livvy"]), ("Amelia", ["Millie", "Amy"]), ("Isla", []), ("Ava", []),
    ("Emily", ["Em"]), ("Sophie", ["Sophia"]), ("Grace", []), ("Jessica", ["Jess"]),
    ("Chloe", ["Chloé"]), ("Lily", ["Lilly"]), ("Ellie", ["Elle"]), ("Charlotte", ["Charlie", "Lottie"]),
    ("Megan", ["Meg"]), ("Lauren", []), ("Courtney", []), ("Shannon", []), ("Paige", []),
    ("Rebecca", ["Becky", "Becca"]), ("Katherine", ["Kate", "Katie", "Kathryn"]),
    ("Elizabeth", ["Beth", "Lizzie", "Libby"]), ("Abigail", ["Abbie", "Abi"]), ("Hannah", []),
    ("Jasmine", ["Jaz"]), ("Zoë", ["Zoe"]), ("Leah", ["Lea"]), ("Mia", []), ("Poppy", []),
    ("Demi", []), ("Kayleigh", ["Kayley", "Kaylee"]), ("Alexandra", ["Alex", "Lexi"]),
    ("Victoria", ["Tori", "Vicky"]), ("Samantha", ["Sam"]), ("Danielle", ["Dani"]),
]
WB_SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Hughes", "Harrison", "Cooper", "Ward", "Morris", "Turner", "King", "Baker", "Hill",
    "Moore", "Lee", "Mason", "Marshall", "Allen", "Bailey", "Kelly", "Harris", "Lewis", "Martin",
    "Sharpe", "Pell", "Grewcock", "Bramley", "Tebbutt", "Sutton", "Hextall", "Astill", "Oakley",
    "McDonald", "McKenzie", "MacDonald", "O'Brien", "O'Neill", "O'Connor", "D'Arcy", "Fitzgerald",
    "St John", "De Souza", "Le Blanc", "Van Der Berg",
]
WB_MIDDLE_M = ["James", "John", "David", "Lee", "Paul", "Michael", "Thomas", "Edward", "Robert", "Ray"]
WB_MIDDLE_F = ["Louise", "Marie", "Jane", "Rose", "May", "Anne", "Elizabeth", "Grace", "Leigh", "Jade"]

GUJ_MALE = [
    ("Jaydeep", ["Jay", "Jaidip"]), ("Rahul", []), ("Krishna", ["Krish"]), ("Aarav", ["Arav"]),
    ("Dhruv", []), ("Nikhil", ["Nik"]), ("Rohan", []), ("Vishal", []), ("Hardik", []), ("Kishan", ["Kishen"]),
    ("Jignesh", ["Jig"]), ("Mitesh", []), ("Pranav", []), ("Yash", []), ("Het", []), ("Parth", []),
    ("Dev", []), ("Harshil", ["Harsh"]), ("Shivam", ["Shiv"]), ("Kunal", []),
]
GUJ_FEMALE = [
    ("Priya", []), ("Pooja", ["Puja"]), ("Nisha", []), ("Riya", ["Ria"]), ("Krupa", ["Krupali"]),
    ("Dhruti", []), ("Hetal", []), ("Mansi", []), ("Khushi", ["Khushee"]), ("Janvi", ["Jhanvi"]),
    ("Anjali", ["Anju"]), ("Shreya", ["Shriya"]), ("Bhavna", ["Bhavana"]), ("Diya", ["Dia"]),
    ("Kavya", []), ("Isha", ["Eesha"]), ("Trisha", []), ("Vaishali", []),
]
# father's names used as middle names (Gujarati convention); the "-bhai" form appears on some records
GUJ_FATHER = ["Ramesh", "Suresh", "Mahesh", "Dinesh", "Kiran", "Bharat", "Pravin", "Jayesh",
              "Hitesh", "Nilesh", "Rajesh", "Mukesh", "Ashok", "Vijay", "Manoj", "Sanjay"]
GUJ_SURNAMES = ["Patel", "Patel", "Patel", "Mistry", "Parmar", "Solanki", "Chauhan", "Shah",
                "Lad", "Desai", "Joshi", "Pandya", "Bhatt", "Modi", "Rathod", "Makwana", "Chavda",
                "Gohil", "Vaghela", "Kotecha", "Thakrar", "Lakhani", "Karia", "Ruparelia"]

SIKH_GIVEN = [  # unisex Punjabi given names; the religious name distinguishes sex
    ("Harpreet", ["Harry", "Preet"]), ("Gurpreet", ["Gurp"]), ("Manpreet", ["Mani"]),
    ("Jaspreet", ["Jas"]), ("Amandeep", ["Aman"]), ("Navdeep", ["Nav"]), ("Sukhdeep", ["Sukh"]),
    ("Simranjit", ["Simran"]), ("Harjit", ["Harj"]), ("Kirandeep", ["Kiran"]), ("Ravinder", ["Ravi"]),
    ("Jasvir", ["Jas"]), ("Gurvinder", ["Gurv"]), ("Balraj", []), ("Arjun", []),
]
SIKH_FEMALE_ONLY = [("Simran", []), ("Jasleen", ["Jas"]), ("Harleen", []), ("Navneet", ["Nav"]),
                    ("Amrit", []), ("Parminder", ["Pam"])]
SIKH_SURNAMES = ["Sandhu", "Gill", "Dhillon", "Sidhu", "Johal", "Bains", "Grewal", "Sahota",
                 "Kang", "Atwal", "Bhogal", "Rai", "Chahal", "Virdee", "Kalsi", "Sangha", "Basra"]

MUSLIM_MALE = [
    ("Ali", []), ("Ibrahim", ["Ibby"]), ("Yusuf", ["Yousuf", "Yusef"]), ("Ayaan", ["Ayan"]),
    ("Hamza", ["Hamzah"]), ("Bilal", []), ("Zain", ["Zayn"]), ("Adam", []), ("Usman", ["Uthman", "Osman"]),
    ("Imran", []), ("Faisal", ["Faysal"]), ("Ismail", ["Ismaeel"]), ("Zakariya", ["Zak", "Zakaria", "Zachariah"]),
    ("Abdullah", ["Abdulla"]), ("Rayyan", ["Rayan"]), ("Idris", []), ("Tariq", ["Tarik"]),
    ("Sufyan", ["Sufian"]), ("Aadil", ["Adil"]), ("Hassan", ["Hasan"]), ("Hussain", ["Hussein", "Husain"]),
]
MUHAMMAD_SPELLINGS = ["Mohammed", "Muhammad", "Mohamed", "Mohammad", "Muhammed", "Mohamad", "Mohd", "Md"]
MUSLIM_FEMALE = [
    ("Ayesha", ["Aisha", "Aysha"]), ("Fatima", ["Fatimah"]), ("Maryam", ["Mariam"]), ("Zainab", ["Zaynab"]),
    ("Amina", ["Aminah"]), ("Hafsa", ["Hafsah"]), ("Safiya", ["Safiyyah"]), ("Noor", ["Nur"]),
    ("Inaya", ["Inayah"]), ("Sumaiya", ["Sumaya", "Sumayyah"]), ("Rukhsana", []), ("Nadia", []),
    ("Sana", ["Sanaa"]), ("Hira", []), ("Khadija", ["Khadijah"]), ("Laila", ["Layla", "Leila"]),
]
MUSLIM_FEMALE_TITLES = ["Begum", "Bibi", "Khatun"]
MUSLIM_SURNAMES_IN = ["Patel", "Mulla", "Bhayat", "Lunat", "Kazi", "Desai", "Vahora", "Mogra", "Ismail", "Sheikh"]
MUSLIM_SURNAMES_PK = ["Khan", "Hussain", "Ahmed", "Iqbal", "Akhtar", "Mahmood", "Shah", "Butt", "Raja", "Malik", "Aslam"]
MUSLIM_SURNAMES_BD = ["Miah", "Uddin", "Rahman", "Islam", "Ali", "Ahmed", "Choudhury", "Hoque", "Alom", "Begum"]

SOMALI_MALE = [("Abdirahman", ["Abdurahman", "Cabdiraxmaan"]), ("Abdullahi", ["Abdulahi", "Cabdullaahi"]),
               ("Mohamed", ["Maxamed", "Mohammed"]), ("Ahmed", ["Axmed"]), ("Hassan", ["Xasan"]),
               ("Abdikarim", ["Abdikariim"]), ("Yusuf", ["Yuusuf"]), ("Omar", ["Cumar", "Umar"]),
               ("Mahad", []), ("Liban", [])]
SOMALI_FEMALE = [("Hodan", []), ("Ayaan", ["Ayan"]), ("Hibo", []), ("Fadumo", ["Faduma", "Fatima"]),
                 ("Sahra", ["Sahro", "Zahra"]), ("Ikran", ["Ikraan"]), ("Nasra", ["Nasro"]),
                 ("Amina", ["Aamina"]), ("Muna", []), ("Hamdi", [])]
SOMALI_PATRONYMS = ["Mohamed", "Ahmed", "Ali", "Hassan", "Abdi", "Omar", "Ibrahim", "Hussein", "Osman",
                    "Farah", "Jama", "Warsame", "Aden", "Yusuf", "Abdullahi", "Ismail", "Nur", "Dahir"]
TRANSLIT = {  # one-way variants used when writing a name in another system
    "Mohamed": ["Mohammed", "Muhammad", "Maxamed"], "Hussein": ["Hussain", "Husein", "Xuseen"],
    "Hassan": ["Hasan", "Xasan"], "Abdi": ["Cabdi"], "Omar": ["Umar", "Cumar"], "Osman": ["Usman", "Cusmaan"],
    "Ahmed": ["Ahmad", "Axmed"], "Yusuf": ["Yousef", "Yusef"], "Nur": ["Noor"], "Ali": ["Aly"],
    "Choudhury": ["Chowdhury", "Chaudhry"], "Uddin": ["Udin", "Uddeen"], "Miah": ["Mia", "Meah"],
    "Rahman": ["Rehman"], "Hoque": ["Haque", "Hoq"], "Mahmood": ["Mahmud", "Mehmood"], "Iqbal": ["Ikbal"],
    "Akhtar": ["Akhter"], "Hussain": ["Hussein", "Husain"], "Mulla": ["Mullah"], "Islam": ["Eslam"],
    "Fadumo": ["Faduma"], "Abdullahi": ["Abdulahi"], "Ibrahim": ["Ebrahim"], "Ismail": ["Esmail", "Ismael"],
    "Sheikh": ["Shaikh", "Sheik"], "Mohammed": ["Muhammad", "Mohammad"], "Jama": ["Jaamac"],
    "Aisha": ["Ayesha"], "Ayesha": ["Aisha"], "Maryam": ["Mariam"], "Zainab": ["Zaynab"],
    "Jaydeep": ["Jaideep", "Jaidip"], "Krupa": ["Kripa"], "Pooja": ["Puja"], "Mistry": ["Mistri"],
    "Chauhan": ["Chohan"], "Vaghela": ["Waghela"], "Dhillon": ["Dhilon"], "Sidhu": ["Sidu"],
    "Grewal": ["Grewall"], "Virdee": ["Virdi"], "Sahota": ["Sohota"],
}

POLISH_MALE = [("Łukasz", ["Lukas"]), ("Jakub", ["Kuba", "Jacob"]), ("Mateusz", ["Matt"]),
               ("Szymon", ["Simon"]), ("Kacper", ["Casper"]), ("Wojciech", ["Wojtek"]), ("Piotr", ["Peter"]),
               ("Bartłomiej", ["Bartek"]), ("Michał", ["Michael"]), ("Paweł", ["Pawel", "Paul"]),
               ("Krzysztof", ["Chris", "Krzys"]), ("Dawid", ["David"])]
POLISH_FEMALE = [("Katarzyna", ["Kasia", "Kate"]), ("Zuzanna", ["Zuzia", "Susanna"]), ("Małgorzata", ["Gosia"]),
                 ("Aleksandra", ["Ola", "Alex"]), ("Natalia", []), ("Wiktoria", ["Victoria"]),
                 ("Agnieszka", ["Aga"]), ("Magdalena", ["Magda"]), ("Joanna", ["Asia"]), ("Julia", [])]
POLISH_SURNAMES_M = ["Kowalski", "Nowak", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
                     "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Mazur", "Krawczyk"]
ROMANIAN_MALE = [("Ștefan", ["Stefan"]), ("Andrei", []), ("Alexandru", ["Alex"]), ("Ionuț", ["Ionut"]),
                 ("Mihai", []), ("Gheorghe", ["George"]), ("Florin", []), ("Cătălin", ["Catalin"]),
                 ("Răzvan", ["Razvan"]), ("Cristian", ["Cristi", "Christian"])]
ROMANIAN_FEMALE = [("Ioana", []), ("Andreea", ["Andrea"]), ("Maria", []), ("Elena", []),
                   ("Alexandra", ["Alexa"]), ("Bianca", []), ("Roxana", []), ("Denisa", []), ("Ștefania", ["Stefania"])]
ROMANIAN_SURNAMES = ["Popescu", "Ionescu", "Popa", "Stan", "Dumitru", "Constantin", "Munteanu",
                     "Ștefănescu", "Lăzărescu", "Rusu", "Țurcanu", "Moldovan", "Lungu", "Sârbu"]

BLACK_CAR_MALE = [("Tyrese", ["Tyreese"]), ("Jermaine", []), ("Marcus", []), ("Kai", []), ("Dwayne", ["Duane"]),
                  ("Isaiah", []), ("Malachi", ["Malakai"]), ("Andre", ["André"]), ("Jamal", []), ("Tre", ["Trey"])]
BLACK_CAR_FEMALE = [("Shanice", []), ("Aaliyah", ["Aliyah"]), ("Tianna", ["Tiana"]), ("Keisha", []),
                    ("Jade", []), ("Nia", []), ("Imani", []), ("Kiara", ["Ciara"])]
BLACK_CAR_SURNAMES = ["Campbell", "Brown", "Williams", "Thomas", "Francis", "Grant", "Clarke", "Reid",
                      "Stewart", "Samuels", "Bennett", "Henry", "Morgan", "Blake", "Gayle"]
BLACK_AF_MALE = [("Chinedu", ["Chi"]), ("Oluwaseun", ["Seun", "Shaun"]), ("Emmanuel", ["Emma", "Manny"]),
                 ("Kwame", []), ("Tobiloba", ["Tobi"]), ("Babajide", ["Jide"]), ("Kofi", []),
                 ("Tendai", []), ("Daniel", ["Dan"]), ("Samuel", ["Sam"])]
BLACK_AF_FEMALE = [("Chiamaka", ["Amaka"]), ("Oluwatoyin", ["Toyin"]), ("Blessing", []), ("Precious", []),
                   ("Adaeze", ["Ada"]), ("Abena", []), ("Tanaka", []), ("Esther", []), ("Favour", [])]
BLACK_AF_SURNAMES = ["Okafor", "Adeyemi", "Mensah", "Okonkwo", "Adebayo", "Boateng", "Owusu", "Moyo",
                     "Ncube", "Oyelaran", "Eze", "Asante", "Chikwanha", "Olaniyan"]
TRAVELLER_SURNAMES = ["Ward", "McDonagh", "Connors", "Doran", "O'Reilly", "Joyce", "Maughan", "Stokes"]

# --- Postcodes: districts of the Leicestershire Police area (LE, a few NG/CV/PE/DE near borders).
# (district, local authority label written by the case system)
DISTRICTS = [
    ("LE2", "LEICESTERSHIRE"), ("LE18", "LEICESTERSHIRE"), ("LE3", "LEICESTERSHIRE"), ("LE4", "LEICESTERSHIRE"),
    ("LE7", "LEICESTERSHIRE"), ("LE8", "LEICESTERSHIRE"), ("LE9", "LEICESTERSHIRE"), ("LE10", "LEICESTERSHIRE"),
    ("LE11", "LEICESTERSHIRE"), ("LE12", "LEICESTERSHIRE"), ("LE13", "LEICESTERSHIRE"), ("LE14", "LEICESTERSHIRE"),
    ("LE16", "LEICESTERSHIRE"), ("LE17", "LEICESTERSHIRE"), ("LE19", "LEICESTERSHIRE"), ("LE65", "LEICESTERSHIRE"),
    ("LE67", "LEICESTERSHIRE"), ("LE6", "LEICESTERSHIRE"), ("LE15", "RUTLAND"), ("PE9", "RUTLAND"),
    ("LE1", "LEICESTER"), ("LE5", "LEICESTER"), ("NG10", "DERBYSHIRE"), ("CV11", "WARWICKSHIRE"),
]
# diaspora communities live mostly in these districts (city east/north, Oadby, Loughborough)
ASIAN_DISTRICTS = ["LE4", "LE5", "LE2", "LE18", "LE1", "LE11", "LE7", "LE3"]
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # inward-code letters (no C, I, K, M, O, V)

# UPN: LA numbers (DfE) for the issuing school
LA_NUMBERS = {"LEICESTER": 856, "LEICESTERSHIRE": 855, "RUTLAND": 857, "DERBYSHIRE": 830,
              "WARWICKSHIRE": 937, "NOTTINGHAMSHIRE": 891, "BIRMINGHAM": 330}

SCHOOLS = [  # (URN, name, establishment number, LA)
    (120269, "Beauchamp College", 4005, 855), (120271, "Brockington College", 4006, 855),
    (138423, "Lutterworth College", 4010, 855), (137221, "Rawlins Academy", 4012, 855),
    (137354, "Hinckley Academy", 4015, 855), (136836, "Ashby School", 4020, 855),
    (137489, "Welland Park Academy", 4025, 855), (138152, "Wreake Valley Academy", 4030, 855),
    (120235, "Castle Rock High School", 4033, 855), (120333, "Uppingham Community College", 4000, 857),
    (137938, "Catmose College", 4001, 857), (120286, "Rushey Mead Academy", 4205, 856),
    (120287, "City of Leicester College", 4210, 856), (120313, "Soar Valley College", 4215, 856),
    (136542, "Gartree High School", 4040, 855), (141217, "Iveshead School", 4045, 855),
    (120220, "Manor High School", 4050, 855), (140104, "Stephenson Studio School", 4060, 855),
    (120247, "Beacon Academy", 4065, 855), (120174, "Oakfield School (PRU)", 1100, 855),
]

# police custody suites in the force area
CUSTODY_SUITES = ["Euston Street", "Keyham Lane", "Beaumont Leys", "Loughborough"]

# Home Office offence codes (class/subclass) with canonical offence category and a plausible gravity
OFFENCES = [
    ("105/01", "Common assault", "VIOLENCE_AGAINST_THE_PERSON", 3),
    ("008/01", "Assault occasioning actual bodily harm", "VIOLENCE_AGAINST_THE_PERSON", 5),
    ("034/01", "Robbery of personal property", "ROBBERY", 6),
    ("046/00", "Shoplifting", "THEFT_AND_HANDLING", 2),
    ("028/01", "Burglary in a dwelling", "BURGLARY", 6),
    ("092/19", "Possession with intent to supply class B", "DRUGS", 5),
    ("092/20", "Possession of cannabis", "DRUGS", 2),
    ("058/01", "Criminal damage to a dwelling", "CRIMINAL_DAMAGE", 3),
    ("066/01", "Affray", "PUBLIC_ORDER", 4),
    ("010/11", "Possession of a bladed article", "POSSESSION_OF_WEAPONS", 5),
    ("802/00", "Driving without insurance", "MOTORING", 2),
    ("053/08", "Fraud by false representation", "FRAUD", 3),
]

# DfE suspension/exclusion reason codes (pre-2024 list as named in the spec)
SUSPENSION_REASONS = ["PA", "PP", "VA", "VP", "DA", "PD", "OW", "OT"]

# NCCIS current-activity codes (post-16), from the DfE NCCIS management information requirement.
CCIS_ACTIVITIES = [
    ("110", 24), ("120", 6), ("130", 28), ("210", 6), ("230", 3), ("250", 1), ("320", 2), ("410", 2),
    ("540", 11), ("550", 3), ("610", 1), ("620", 1), ("630", 1), ("710", 1), ("810", 8), ("820", 2),
]

KEYBOARD = {  # QWERTY neighbours for typos
    "q": "wa", "w": "qes", "e": "wrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij", "i": "uok",
    "o": "ipl", "p": "ol", "a": "qsz", "s": "adwx", "d": "sfec", "f": "dgrv", "g": "fhtb", "h": "gjyn",
    "j": "hkun", "k": "jlim", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfv", "v": "cfgb", "b": "vghn",
    "n": "bhjm", "m": "njk",
}
