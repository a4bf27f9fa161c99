// The tokenizer files of a test checkpoint, as Tokenizer.fromFiles takes them.
import fs from 'node:fs';
import path from 'node:path';
import type { TokenizerFiles } from '../src/tokenizer/index.js';
import { type CheckpointName, checkpointDir } from './fixtures.js';

const FILE_NAMES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json'] as const;

export function readTokenizerFiles(name: CheckpointName): TokenizerFiles {
  const dir = checkpointDir(name);
  const files: TokenizerFiles = {};
  for (const file of FILE_NAMES) {
    const filePath = path.join(dir, file);
    if (fs.existsSync(filePath)) files[file] = fs.readFileSync(filePath, 'utf8');
  }
  return files;
}
