// Every YAML document keyprobe reads is parsed here. The yaml library looks
// up process.env.LOG_TOKENS for every token it reads (and LOG_STREAM for
// every document), and each lookup scans the whole environment: with the
// thousands of variables a big run's keys come in, a thousand profiles took
// 2.8 s to parse instead of 1.2 s (issue #15). And either variable set makes
// the library print the tokens to stdout with console.log, past the output
// guard that screens everything keyprobe prints for secrets. So the parse
// sees an empty environment; it is synchronous, and the real one is back
// before anything else runs.
import { type DocumentOptions, type ParseOptions, parseDocument, type SchemaOptions } from 'yaml';

export type YamlParseOptions = ParseOptions & DocumentOptions & SchemaOptions;

export function parseYaml(text: string, options: YamlParseOptions = {}): ReturnType<typeof parseDocument> {
  const env = process.env;
  process.env = {};
  try {
    return parseDocument(text, options);
  } finally {
    process.env = env;
  }
}
