"""Name lists for synthetic people: a county's mix, with the nicknames that real records use."""

MALE = {
    "White": ["Oliver", "Jack", "Harry", "Charlie", "Thomas", "James", "William", "Joshua", "George", "Daniel",
              "Samuel", "Joseph", "Alfie", "Jacob", "Ethan", "Callum", "Kyle", "Liam", "Connor", "Ryan",
              "Lewis", "Bradley", "Jordan", "Tyler", "Reece", "Mason", "Riley", "Kieran", "Nathan", "Matthew",
              "Alexander", "Benjamin", "Christopher", "Michael", "Robert", "Jamie", "Luke", "Aaron", "Dylan", "Owen"],
    "Asian": ["Mohammed", "Aarav", "Arjun", "Ibrahim", "Zain", "Hamza", "Rohan", "Vikram", "Imran", "Yusuf",
              "Ayaan", "Dev", "Harpreet", "Sanjay", "Kiran", "Ali", "Bilal", "Faisal", "Rahul", "Jaspreet"],
    "Black": ["Kwame", "Tyrone", "Jermaine", "Kofi", "Malik", "Andre", "Isaiah", "Elijah", "Emmanuel", "Joel",
              "Tobi", "Daniel", "Samuel", "David", "Marcus"],
    "Mixed": ["Kai", "Jayden", "Tyler", "Reuben", "Leon", "Mason", "Josiah", "Nathaniel", "Isaac", "Harvey"],
    "Other": ["Omar", "Karim", "Ahmed", "Youssef", "Ali", "Hassan", "Mateusz", "Luca", "Adam", "Mustafa"],
}
FEMALE = {
    "White": ["Olivia", "Amelia", "Isla", "Emily", "Ava", "Jessica", "Chloe", "Sophie", "Lily", "Megan",
              "Hannah", "Lauren", "Ellie", "Charlotte", "Katie", "Holly", "Courtney", "Shannon", "Paige", "Rebecca",
              "Elizabeth", "Victoria", "Samantha", "Abigail", "Jennifer", "Kayleigh", "Leah", "Molly", "Grace", "Evie"],
    "Asian": ["Aisha", "Priya", "Fatima", "Zara", "Amira", "Simran", "Anika", "Maryam", "Noor", "Harleen",
              "Sana", "Khadija", "Riya", "Jasleen", "Ayesha"],
    "Black": ["Abena", "Chantelle", "Keisha", "Amara", "Adaeze", "Shanice", "Precious", "Blessing", "Naomi", "Esther"],
    "Mixed": ["Jade", "Leah", "Tia", "Maya", "Ruby", "Skye", "Aaliyah", "Nia", "Layla", "Jasmine"],
    "Other": ["Layla", "Mariam", "Nadia", "Yasmin", "Hana", "Zofia", "Amina", "Sara", "Lina", "Rania"],
}
SURNAMES = {
    "White": ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
              "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
              "Patterson", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper", "Ward", "Morris", "King",
              "Baker", "Harrison", "Morgan", "Allen", "Bailey", "Bell", "Parker", "Marshall", "Cook", "Murphy",
              "Kelly", "Price", "Mason", "Fletcher", "Barker", "Bennett", "Chapman", "Dixon", "Holmes", "Mills",
              "O'Brien", "O'Connor", "McDonald", "Gill", "Stevenson", "Atkinson", "Hodgson", "Pearson", "Shaw", "Lloyd"],
    "Asian": ["Patel", "Khan", "Singh", "Ahmed", "Hussain", "Mistry", "Shah", "Kaur", "Begum", "Ali",
              "Chauhan", "Parmar", "Mahmood", "Iqbal", "Sandhu", "Bains", "Rahman", "Chowdhury", "Lad", "Solanki"],
    "Black": ["Okafor", "Mensah", "Adeyemi", "Boateng", "Campbell", "Francis", "Thomas", "Grant", "Osei", "Williams",
              "Johnson", "Clarke", "Asante", "Nwosu", "Reid"],
    "Mixed": ["Campbell", "Richards", "Lewis", "Smith", "Brown", "James", "Thomas", "Phillips", "Walker", "Gordon"],
    "Other": ["Hassan", "Ibrahim", "Nowak", "Kowalski", "Haddad", "Mansour", "Rossi", "Yilmaz", "Abdullah", "Saleh"],
}
# Name variants seen across agencies: a record may carry either form.
NICKNAMES = {
    "Thomas": "Tom", "James": "Jim", "William": "Will", "Joshua": "Josh", "Daniel": "Dan", "Samuel": "Sam",
    "Joseph": "Joe", "Matthew": "Matt", "Alexander": "Alex", "Benjamin": "Ben", "Christopher": "Chris",
    "Michael": "Mike", "Robert": "Rob", "Nathan": "Nate", "Bradley": "Brad", "Jacob": "Jake",
    "Mohammed": "Mohammad", "Nathaniel": "Nat", "Isaac": "Ike",
    "Jessica": "Jess", "Rebecca": "Becky", "Elizabeth": "Beth", "Victoria": "Vicky", "Samantha": "Sam",
    "Abigail": "Abbie", "Jennifer": "Jenny", "Charlotte": "Lottie", "Katie": "Kate", "Hannah": "Hanna",
    "Megan": "Meg", "Olivia": "Liv", "Ellie": "Eleanor", "Aisha": "Ayesha", "Fatima": "Fatimah",
}
