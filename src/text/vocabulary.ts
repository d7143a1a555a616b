/** A character vocabulary built from a text: ids in order of first appearance sorted by code point. */
import { describeValue, InvalidArgumentError, requireIndices } from '../validation.ts';

export class CharacterVocabulary {
  /** The characters, id = index. */
  readonly characters: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(characters: readonly string[]) {
    if (!Array.isArray(characters)) throw new InvalidArgumentError('characters', `got ${describeValue(characters)}, expected an array of single characters`);
    const notCharacter = characters.findIndex((c) => typeof c !== 'string' || Array.from(c).length !== 1);
    if (notCharacter >= 0) {
      throw new InvalidArgumentError('characters', `element ${notCharacter} is ${describeValue(characters[notCharacter])}, expected a single character (one code point)`);
    }
    const unique = new Set(characters);
    if (unique.size !== characters.length || characters.length === 0) {
      throw new InvalidArgumentError('characters', `got ${characters.length} characters with ${unique.size} distinct, expected a non-empty list of distinct characters`);
    }
    this.characters = [...characters];
    this.ids = new Map(characters.map((character, id) => [character, id]));
  }

  /** The distinct characters of `text`, sorted by code point (as char-rnn does). */
  static fromText(text: string): CharacterVocabulary {
    if (typeof text !== 'string' || text.length === 0) {
      throw new InvalidArgumentError('text', `got ${describeValue(text)}, expected a string of at least one character`);
    }
    return new CharacterVocabulary([...new Set(Array.from(text))].sort());
  }

  /** The metadata field that stores the vocabulary with a model (saveWeights / saveCheckpoint). */
  static readonly METADATA_KEY = 'vocabulary';

  /** The vocabulary as model-file metadata: { vocabulary: JSON array of the characters }. */
  toMetadata(): Record<string, string> {
    return { [CharacterVocabulary.METADATA_KEY]: JSON.stringify(this.characters) };
  }

  /** The vocabulary stored in a model file's metadata by toMetadata. */
  static fromMetadata(metadata: Record<string, string>): CharacterVocabulary {
    if (typeof metadata !== 'object' || metadata === null) throw new InvalidArgumentError('metadata', `got ${describeValue(metadata)}, expected a model file's metadata object`);
    const stored = Object.hasOwn(metadata, CharacterVocabulary.METADATA_KEY) ? metadata[CharacterVocabulary.METADATA_KEY] : undefined;
    if (stored === undefined) throw new InvalidArgumentError('metadata', `has no '${CharacterVocabulary.METADATA_KEY}' field; save the model with vocabulary.toMetadata()`);
    let characters: unknown;
    try {
      characters = JSON.parse(stored);
    } catch {
      throw new InvalidArgumentError(`metadata.${CharacterVocabulary.METADATA_KEY}`, 'is not valid JSON, expected an array of characters');
    }
    if (!Array.isArray(characters) || !characters.every((c) => typeof c === 'string' && Array.from(c).length === 1)) {
      throw new InvalidArgumentError(`metadata.${CharacterVocabulary.METADATA_KEY}`, 'expected an array of single characters');
    }
    return new CharacterVocabulary(characters as string[]);
  }

  get size(): number {
    return this.characters.length;
  }

  /** The ids of `text`'s characters; `argument` is the name an error gives the text (default 'text'). */
  encode(text: string, argument = 'text'): Uint32Array {
    if (typeof text !== 'string') throw new InvalidArgumentError(argument, `got ${describeValue(text)}, expected a string`);
    const characters = Array.from(text);
    const ids = new Uint32Array(characters.length);
    characters.forEach((character, index) => {
      const id = this.ids.get(character);
      if (id === undefined) {
        throw new InvalidArgumentError(argument, `character ${JSON.stringify(character)} at index ${index} is not in the vocabulary of ${this.size} characters`);
      }
      ids[index] = id;
    });
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    const checked = requireIndices('ids', ids, (ids as ArrayLike<number> | null)?.length ?? 0, 'any length', this.size, 'the vocabulary');
    let text = '';
    for (const id of checked) text += this.characters[id];
    return text;
  }
}
