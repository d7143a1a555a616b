/**
 * A training text from a file's bytes: UTF-8 text, refused when the file is binary
 * (not valid UTF-8, NUL characters, or many control characters) instead of being
 * trained on as if it were text.
 */
import { InvalidArgumentError } from '../validation.ts';
import { firstInvalidUtf8Byte } from './utf8.ts';

/** Above this share of control characters (other than tab, newlines, form feed) a text is taken for binary data. */
const CONTROL_CHARACTER_SHARE = 0.01;

export function textFromBytes(argument: string, bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvalidArgumentError(argument, `is not UTF-8 text (a binary file?): the first invalid byte is at offset ${firstInvalidUtf8Byte(bytes)}; expected a text file`);
  }
  if (text.length === 0) throw new InvalidArgumentError(argument, 'is empty, expected a text file');
  const nul = text.indexOf('\0');
  if (nul >= 0) throw new InvalidArgumentError(argument, `contains a NUL character at character ${nul}, so it looks like a binary file; expected a text file`);
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) || code === 0x7f) controls++;
  }
  if (controls > CONTROL_CHARACTER_SHARE * text.length) {
    throw new InvalidArgumentError(argument, `has ${controls} control characters in ${text.length}, so it looks like a binary file; expected a text file`);
  }
  return text;
}
