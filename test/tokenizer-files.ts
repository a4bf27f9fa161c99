// The tokenizer files of a test checkpoint, as Tokenizer.fromFiles takes them, and the token
// goldens the make_*_goldens.py scripts write for them.
import fs from 'node:fs';
import path from 'node:path';
import type { TokenizerFiles } from '../src/tokenizer/index.js';

const FILE_NAMES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

/** The tokenizer files a model folder has. */
export function readTokenizerFiles(dir: string): TokenizerFiles {
  const files: TokenizerFiles = {};
  for (const file of FILE_NAMES) {
    const filePath = path.join(dir, file);
    if (fs.existsSync(filePath)) files[file] = fs.readFileSync(filePath, 'utf8');
  }
  return files;
}

/** tokens-<name>.json: ids with special tokens, padding stripped, of every STS-B sentence and stress text. */
export interface TokenGoldens {
  checkpoint: string;
  max_seq_length: number;
  pad_id: number;
  sts_count: number;
  sts_sha256: string;
  stress_texts: string[];
  sts_ids: number[][];
  stress_ids: number[][];
}
