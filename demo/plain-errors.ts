/**
 * The library's errors said in plain words for the page: what went wrong, in
 * which file, and what was kept. The library's own message goes along as the
 * detail, for those who want it. CPU only, no DOM.
 */
import { InvalidArgumentError, SafetensorsError } from '../src/index.ts';

export interface PlainError {
  /** One or two sentences a visitor understands. */
  message: string;
  /** The library's message, unchanged. */
  detail?: string;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Why a safetensors file could not be read, in a few words, from the reader's message. */
function whatIsWrongWithFile(detail: string): string {
  if (/header length|starts with an 8-byte header|not valid UTF-8|not valid JSON|must be a JSON object/.test(detail)) {
    return 'it does not start like a safetensors file (another kind of file, or damaged at the start)';
  }
  if (/truncated|needs bytes/.test(detail)) return 'it is cut short (the download or copy may not have finished)';
  if (/not a checkpoint/.test(detail)) return 'it holds weights only, not a checkpoint';
  if (/does not fit|not a webgpu-rnn model|weight_hh_l0 has shape|dtype I32/.test(detail)) return 'its tensors are not those of a recurrent model this page can build';
  if (/metadata/.test(detail)) return 'its description of the model (the metadata) is not one this page can read';
  return 'it is damaged, or not a model file';
}

/** What a refused load left as it was. */
export function keptSentence(hadModel: boolean): string {
  return hadModel ? 'The current model was kept.' : 'Nothing was changed.';
}

/**
 * A model file that could not be loaded: names the file, says why in plain words,
 * and whether a current model was kept (`hadModel`) or nothing changed.
 */
export function fileLoadError(fileName: string, error: unknown, hadModel: boolean): PlainError {
  const kept = keptSentence(hadModel);
  const detail = messageOf(error);
  if (error instanceof SafetensorsError) return { message: `Could not load ${fileName}: ${whatIsWrongWithFile(detail)}. ${kept}`, detail };
  if (error instanceof InvalidArgumentError) return { message: `Could not load ${fileName}: it describes a model this page cannot build. ${kept}`, detail };
  return { message: `Could not load ${fileName}. ${kept}`, detail };
}

/** A text file, paste or URL that could not be read: names it and says the text on the page is unchanged. */
export function textReadError(what: string, error: unknown): PlainError {
  const detail = messageOf(error);
  if (error instanceof TypeError && /fetch/i.test(detail)) {
    return {
      message: `Could not fetch ${what}: the address is unreachable, or its server does not let other sites read it (CORS). The text was kept.`,
      detail,
    };
  }
  return { message: `Could not read ${what}: ${detail} The text was kept.`, detail };
}
