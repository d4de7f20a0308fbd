"""Small built-in name lists for the synthetic agencies' identity records.

Given names and family names common in England, drawn at random and combined, so
that no record describes a real person. Some names have spelling variants
(transliterations such as Mohammed / Muhammad) and familiar forms (William /
Billy); the agencies' extracts use them when they record a name differently.
"""

from __future__ import annotations

__all__ = ["FAMILY", "FAMILIAR", "GIVEN_F", "GIVEN_M", "VARIANTS"]

GIVEN_M: tuple[str, ...] = (
    "Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas",
    "Oscar", "William", "James", "Henry", "Leo", "Alfie", "Joshua", "Freddie",
    "Archie", "Ethan", "Isaac", "Alexander", "Joseph", "Edward", "Samuel", "Max",
    "Daniel", "Arthur", "Lucas", "Mohammed", "Logan", "Theo", "Harrison", "Benjamin",
    "Mason", "Sebastian", "Finley", "Adam", "Dylan", "Zachary", "Riley", "Teddy",
    "Matthew", "Christopher", "Michael", "Robert", "Nicholas", "Jonathan", "Anthony",
    "Kai", "Reuben", "Yusuf", "Ibrahim", "Ali", "Omar", "Hamza", "Ayaan", "Arjun",
    "Rohan", "Dev", "Kwame", "Kofi", "Chidi", "Emeka", "Tobi", "Segun", "Tyrone",
    "Marcus", "Jayden", "Tyler", "Kacper", "Jakub", "Mateusz", "Filip", "Luca",
    "Mihai", "Andrei", "Bilal", "Imran", "Hassan", "Tariq", "Faisal", "Aaron",
)
GIVEN_F: tuple[str, ...] = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie",
    "Sophia", "Grace", "Willow", "Freya", "Florence", "Emily", "Ella", "Poppy",
    "Evie", "Elsie", "Charlotte", "Evelyn", "Sienna", "Sofia", "Daisy", "Phoebe",
    "Sophie", "Alice", "Harper", "Matilda", "Ruby", "Emilia", "Maya", "Millie",
    "Isabelle", "Eleanor", "Elizabeth", "Katherine", "Rebecca", "Jessica",
    "Samantha", "Victoria", "Abigail", "Margaret", "Jennifer", "Alexandra",
    "Aisha", "Fatima", "Maryam", "Zainab", "Amina", "Khadija", "Hafsa", "Priya",
    "Ananya", "Divya", "Simran", "Chiamaka", "Adaeze", "Ngozi", "Folake",
    "Abena", "Esi", "Shanice", "Jade", "Precious", "Zuzanna", "Julia", "Natalia",
    "Maja", "Oliwia", "Ioana", "Elena", "Noor", "Layla", "Yasmin", "Sana", "Hana",
)
FAMILY: tuple[str, ...] = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson",
    "Thomas", "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker",
    "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris", "Clarke",
    "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan",
    "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price",
    "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter",
    "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams",
    "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers",
    "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen",
    "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Ahmed", "Rahman", "Chowdhury", "Mahmood", "Iqbal", "Akhtar", "Shah", "Kaur",
    "Sharma", "Gill", "Okafor", "Adeyemi", "Mensah", "Okoye", "Boateng", "Osei",
    "Nwosu", "Abubakar", "Mohamed", "Nowak", "Kowalski", "Wisniewski", "Popescu",
    "Nguyen", "Tran", "Chen", "Wong", "Yilmaz", "Demir", "Ibrahim", "Abdi",
    "Warsame", "Farah", "Hassan", "Osman",
)
#: Spellings a name is also recorded under (transliterations and common variants).
VARIANTS: dict[str, tuple[str, ...]] = {
    "Mohammed": ("Muhammad", "Mohamed", "Mohammad"), "Yusuf": ("Yousef", "Yusef"),
    "Ibrahim": ("Ebrahim", "Ibraheem"), "Hamza": ("Hamzah",), "Ali": ("Aly",),
    "Omar": ("Umar",), "Hassan": ("Hasan",), "Tariq": ("Tarik",),
    "Faisal": ("Faysal",), "Bilal": ("Belal",), "Ayaan": ("Ayan",),
    "Aisha": ("Ayesha", "Aysha"), "Fatima": ("Fatimah", "Fatema"),
    "Maryam": ("Mariam", "Miriam"), "Zainab": ("Zaynab",), "Amina": ("Aminah",),
    "Khadija": ("Khadijah", "Khadeeja"), "Noor": ("Nur",), "Layla": ("Laila",),
    "Yasmin": ("Yasmine", "Jasmin"), "Sana": ("Sanaa",), "Hafsa": ("Hafsah",),
    "Priya": ("Preya",), "Simran": ("Simranjit",), "Divya": ("Divia",),
    "Chiamaka": ("Chiamaka-Grace",), "Adaeze": ("Adaezeh",), "Ngozi": ("Ngozie",),
    "Abena": ("Abenaa",), "Esi": ("Essie",), "Kwame": ("Kwamé",),
    "Kofi": ("Koffi",), "Chidi": ("Chidiebere",), "Emeka": ("Chukwuemeka",),
    "Segun": ("Olusegun",), "Tobi": ("Oluwatobi",),
    "Zuzanna": ("Zuzana",), "Mateusz": ("Matthew",), "Jakub": ("Jacob",),
    "Oliwia": ("Olivia",), "Ioana": ("Joana",), "Mihai": ("Michael",),
    "Khan": ("Kahn",), "Begum": ("Begom",), "Chowdhury": ("Choudhury", "Chaudhry"),
    "Mahmood": ("Mahmud", "Mehmood"), "Rahman": ("Rehman",), "Ahmed": ("Ahmad",),
    "Hussain": ("Hussein", "Husain"), "Mohamed": ("Mohammed",),
    "Iqbal": ("Ikbal",), "Akhtar": ("Akhter",), "Adeyemi": ("Adeyemmi",),
    "Okafor": ("Okafo",), "Boateng": ("Boatang",), "Nwosu": ("Nwosuh",),
    "Abubakar": ("Abubakr", "Abu Bakar"), "Abdi": ("Abdee",),
    "Warsame": ("Warsama",), "Osman": ("Othman",),
    "Kowalski": ("Kowalsky",), "Wisniewski": ("Wisnewski",),
    "Nguyen": ("Nguyễn", "Ngyuen"), "Tran": ("Trần",), "Yilmaz": ("Yılmaz",),
    "Demir": ("Demirr",), "Popescu": ("Popesku",),
}
#: Familiar forms a given name is also recorded under.
FAMILIAR: dict[str, tuple[str, ...]] = {
    "William": ("Will", "Billy", "Bill"), "James": ("Jamie", "Jim"),
    "Thomas": ("Tom", "Tommy"), "Joseph": ("Joe", "Joey"), "Samuel": ("Sam",),
    "Benjamin": ("Ben", "Benji"), "Alexander": ("Alex", "Xander"),
    "Daniel": ("Dan", "Danny"), "Edward": ("Ed", "Eddie", "Ted"),
    "Matthew": ("Matt",), "Christopher": ("Chris",), "Michael": ("Mike", "Mikey"),
    "Robert": ("Rob", "Bobby", "Robbie"), "Nicholas": ("Nick", "Nicky"),
    "Jonathan": ("Jon", "Jonny"), "Anthony": ("Tony", "Ant"),
    "Harrison": ("Harry",), "Zachary": ("Zach", "Zac"), "Sebastian": ("Seb",),
    "Theo": ("Theodore",), "Freddie": ("Fred",), "Alfie": ("Alf",),
    "Joshua": ("Josh",), "Isaac": ("Zac",), "Reuben": ("Ruben",),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"), "Katherine": ("Kate", "Katie",
                                                                 "Kathy"),
    "Rebecca": ("Becky", "Becca"), "Jessica": ("Jess", "Jessie"),
    "Samantha": ("Sam", "Sammy"), "Victoria": ("Vicky", "Tori"),
    "Abigail": ("Abby", "Abi"), "Margaret": ("Maggie", "Peggy", "Meg"),
    "Jennifer": ("Jenny", "Jen"), "Alexandra": ("Alex", "Lexi", "Sasha"),
    "Isabella": ("Bella", "Izzy"), "Isabelle": ("Izzy", "Belle"),
    "Eleanor": ("Ellie", "Nell"), "Charlotte": ("Charlie", "Lottie"),
    "Amelia": ("Millie", "Amy"), "Emilia": ("Millie", "Emmy"),
    "Florence": ("Flo", "Florrie"), "Matilda": ("Tilly", "Tilda"),
    "Olivia": ("Liv", "Livvy"), "Sophia": ("Sophie",), "Phoebe": ("Phoebs",),
    "Evelyn": ("Evie",), "Natalia": ("Natalie", "Tala"), "Julia": ("Jules",),
    "Mohammed": ("Mo",), "Chiamaka": ("Amaka",), "Folake": ("Fola",),
    "Oluwatobi": ("Tobi",), "Emeka": ("Meka",), "Ibrahim": ("Ibby",),
}
