// node dist/main.js MODEL TEXT...: prints the backend and each text's vector as JSON.
import { load } from 'sentvec';

const [name = 'sentence-transformers/all-MiniLM-L6-v2', ...texts] = process.argv.slice(2);
const model = await load(name);
const vectors = await model.encode(texts);
console.log(JSON.stringify({ backend: model.backend, vectors: vectors.map((vector) => Array.from(vector)) }));
await model.close();
