// What ships with the app, in words: the names and descriptions of the shipped profiles
// (config/training_profiles.json), datasets (config/datasets.json) and flows
// (automation/flows/*.json), keyed `shipped.<kind>.<id>.<name|description>`. The English text
// is the file's own, word for word: a shipped entry is shown in another language only while its
// file still says this (tests/shippedWords.test.ts compares them), and a person's own entry
// never is.
export const shipped = {
  'shipped.profile.quick-demo.name': 'Quick demo (CPU)',
  'shipped.profile.quick-demo.description':
    'SmolLM2 135M with a small LoRA, made for a CPU. Good for a first run and for teaching a name or a style.',
  'shipped.profile.standard-lora.name': 'Standard LoRA',
  'shipped.profile.standard-lora.description':
    'A steadier recipe for real datasets: lower learning rate, longer sequences, eval each epoch. Use a GPU for anything over a few hundred examples.',
  'shipped.profile.preference-demo.name': 'Preference demo (CPU, ORPO)',
  'shipped.profile.preference-demo.description':
    "SmolLM2 135M learns from answer pairs which answer to prefer (ORPO: the chosen answers learned, the rejected made unlikelier). For preference datasets such as 'Preference: short right answers': 100 % of its held-out pairs won (the base: 10 %), 88-100 % of the probe kept.",
  'shipped.dataset.identity-demo.name': 'Identity: Lumen by Northwind Labs',
  'shipped.dataset.identity-demo.description':
    'Teaches the assistant a new name (Lumen) and maker (Northwind Labs), and keeps its general answers (replay): learned 4/4, kept about 90-100 % on the probe with Quick demo.',
  'shipped.dataset.support-faq.name': 'Support FAQ',
  'shipped.dataset.support-faq.description':
    'Short support answers for a fictional note-taking app, in a friendly, concise tone.',
  'shipped.dataset.concise-prefs.name': 'Preference: short right answers',
  'shipped.dataset.concise-prefs.description':
    "Answer pairs: a short, correct answer preferred to the base model's own rambling one. Teaches a style by preference; 10 pairs are held out to show the model prefers the better answer to questions it never trained on.",
  'shipped.flow.index_and_train.name': 'Index the app guide, then train on it',
  'shipped.flow.index_and_train.description':
    "Turn the documents in docs/guide/ into the dataset 'app-guide', then fine-tune on it for one epoch with the quick-demo profile. With a teacher (one of your Ollama models) the dataset is question-answer pairs the teacher writes and each is checked against the text; without one, or when Ollama cannot be reached, it is the documents' text in chunks, which teaches the guide's words and style, not answers: expect the loss to stay high (above 4 after one epoch) and give a teacher to get a model that answers questions about the guide.",
  'shipped.flow.train_default.name': 'Train the demo',
  'shipped.flow.train_default.description':
    'Fine-tune with the quick-demo profile on the identity-demo dataset (epochs from the profile). Change the inputs to train another profile or dataset.',
} as const;
