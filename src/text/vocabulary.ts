/** A character vocabulary built from a text: ids in order of first appearance sorted by code point. */
import { InvalidArgumentError } from '../validation.ts';

export class CharacterVocabulary {
  /** The characters, id = index. */
  readonly characters: readonly string[];
  private readonly ids: Map<string, number>;

  constructor(characters: readonly string[]) {
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
      throw new InvalidArgumentError('text', 'got an empty text, expected at least one character');
    }
    return new CharacterVocabulary([...new Set(Array.from(text))].sort());
  }

  get size(): number {
    return this.characters.length;
  }

  encode(text: string): Uint32Array {
    const characters = Array.from(text);
    const ids = new Uint32Array(characters.length);
    characters.forEach((character, index) => {
      const id = this.ids.get(character);
      if (id === undefined) {
        throw new InvalidArgumentError('text', `character ${JSON.stringify(character)} at index ${index} is not in the vocabulary of ${this.size} characters`);
      }
      ids[index] = id;
    });
    return ids;
  }

  decode(ids: ArrayLike<number>): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const character = this.characters[ids[i]];
      if (character === undefined) throw new InvalidArgumentError('ids', `element ${i} is ${ids[i]}, expected an id in [0, ${this.size})`);
      text += character;
    }
    return text;
  }
}
