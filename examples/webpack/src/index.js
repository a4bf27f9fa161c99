// node dist/main.js MODEL TEXT...: prints the backend and each text's vector as JSON.
import { load } from 'sentvec';

const [model = 'sentence-transformers/all-MiniLM-L6-v2', ...texts] = process.argv.slice(2);
const sentences = await load(model);
const vectors = await sentences.encode(texts);
console.log(JSON.stringify({ backend: sentences.backend, vectors: vectors.map((vector) => Array.from(vector)) }));
await sentences.close();
