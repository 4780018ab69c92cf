/**
 * Recall by meaning: twelve people, four facts each, and one question per fact that shares nothing
 * with it but the person's name (no other word, no common stem: the test checks that with
 * PostgreSQL's English configuration). Every fact of a person holds the name too, so words alone
 * cannot tell the four apart: the right one has to be found by what the question means.
 * Written for this project; not taken from any benchmark.
 */

export interface PersonFact {
  person: string;
  fact: string;
  question: string;
}

const PEOPLE: Record<string, [fact: string, question: string][]> = {
  Dana: [
    ['Dana prefers to be contacted by email, not phone.', 'How should I reach Dana?'],
    ['Dana is allergic to peanuts and shellfish.', 'Which foods must Dana avoid eating?'],
    ['Dana was born on the third of March in Lisbon.', "When is Dana's birthday?"],
    ['Dana works night shifts as a nurse at the city hospital.', 'What does Dana do for a living?'],
  ],
  Omar: [
    ['Omar drives an old blue pickup truck.', 'What car does Omar have?'],
    ['Omar is learning to play the cello.', 'Which musical instrument is Omar studying?'],
    ['Omar moved to Denver two years ago.', 'Where does Omar live now?'],
    ['Omar has two daughters, aged five and eight.', 'How many kids does Omar have?'],
  ],
  Priya: [
    ['Priya is vegetarian and never eats meat.', 'What diet does Priya follow?'],
    ['Priya runs a marathon every autumn.', 'Which sport is Priya into?'],
    ['Priya speaks Hindi, Tamil and fluent German.', 'What languages can Priya talk in?'],
    ['Priya owns a grey cat called Pixel.', 'Does Priya have a pet?'],
  ],
  Lukas: [
    ['Lukas is afraid of flying and takes trains instead.', 'How does Lukas prefer to travel?'],
    ['Lukas studied mechanical engineering in Munich.', "What was Lukas's university degree?"],
    ['Lukas drinks his coffee black without sugar.', 'How does Lukas take his morning beverage?'],
    ['Lukas got married to Anna last June.', "Who is Lukas's wife?"],
  ],
  Mei: [
    ['Mei plays the piano in a jazz band on weekends.', 'What hobby does Mei have?'],
    ['Mei is moving to Singapore for a new job in May.', 'Where is Mei relocating?'],
    ['Mei broke her wrist skiing in January.', 'What injury did Mei suffer?'],
    ['Mei keeps a vegetable garden on her balcony.', 'Does Mei grow any plants?'],
  ],
  Carlos: [
    ['Carlos supports Real Madrid and never misses a match.', 'Which football team does Carlos cheer for?'],
    ['Carlos is saving money to buy a house.', 'What is Carlos putting aside cash for?'],
    ['Carlos teaches chemistry at a high school.', "What is Carlos's profession?"],
    ['Carlos cannot stand spicy dishes.', 'What kind of cuisine does Carlos dislike?'],
  ],
  Aisha: [
    ['Aisha volunteers at an animal shelter every Saturday.', 'How does Aisha spend her weekends?'],
    ['Aisha has a severe fear of spiders.', 'What is Aisha scared of?'],
    ['Aisha graduated from law school in 2019.', 'When did Aisha finish her studies?'],
    ['Aisha rides a red bicycle to the office.', 'How does Aisha commute to work?'],
  ],
  Tom: [
    ['Tom is lactose intolerant, so no milk or cheese for him.', 'Can Tom have dairy products?'],
    ['Tom collects vintage vinyl records.', 'Which music format does Tom hoard?'],
    ['Tom lost his job at the bank in October.', 'Is Tom currently employed?'],
    ['Tom wants to visit Japan next spring.', 'Where is Tom planning a trip?'],
  ],
  Sofia: [
    ['Sofia writes mystery novels under a pen name.', 'What kind of books does Sofia author?'],
    ['Sofia has type 1 diabetes and carries insulin.', 'Does Sofia have a medical condition?'],
    ['Sofia adopted a rescue greyhound named Bolt.', 'What dog does Sofia own?'],
    ['Sofia wakes up at five to meditate.', "What is Sofia's early morning routine?"],
  ],
  Kenji: [
    ['Kenji repairs antique clocks in his workshop.', 'What craft is Kenji skilled at?'],
    ['Kenji is colorblind and confuses red with green.', 'Does Kenji have any trouble with his eyesight?'],
    ['Kenji grew up on a farm in Hokkaido.', 'Where did Kenji spend his childhood?'],
    ['Kenji prefers texting over calls.', 'What is the best way to get in touch with Kenji?'],
  ],
  Elena: [
    ['Elena bakes sourdough bread every Sunday.', 'What does Elena make in her kitchen at the weekend?'],
    ['Elena is training to become a pilot.', 'Which career is Elena pursuing?'],
    ['Elena has twin brothers who live in Madrid.', 'Does Elena have siblings?'],
    ['Elena paid off her student loan last month.', 'Does Elena still owe any debt?'],
  ],
  Noah: [
    ['Noah is a huge fan of science fiction films.', 'Which movies does Noah enjoy?'],
    ['Noah had knee surgery after a climbing accident.', 'Why was Noah in hospital?'],
    ['Noah works remotely from a cabin in the mountains.', 'Where does Noah do his job?'],
    ['Noah is saving up for an electric guitar.', 'What instrument does Noah want to buy?'],
  ],
};

export const PEOPLE_FACTS: PersonFact[] = Object.entries(PEOPLE).flatMap(([person, facts]) => facts.map(([fact, question]) => ({ person, fact, question })));
