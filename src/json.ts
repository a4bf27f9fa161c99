// JSON from a model file. A syntax error is reported by position only: the engine's own message
// quotes the text around the error, and a model file (or whatever a server answered in its
// place) must never have its contents echoed into an error.

/** Parses `text` of `file`, or throws an Error naming the file and where its JSON breaks. */
export function parseJsonText(text: string, file: string, errorType: new (message: string) => Error = Error): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    const where = position !== undefined ? `at character ${position}` : /end of JSON/.test((error as Error).message)
      ? 'it ends early' : `${text.length} characters`;
    throw new errorType(`${file}: not valid JSON (${where})`);
  }
}
