/**
 * The default training text: a few paragraphs written for this project (no
 * third-party text), about what the network on this page is doing.
 */
export const DEFAULT_TEXT = `A recurrent network reads text the way a person reads a ticker tape: one character at a time, never the whole line at once. Each time a new character arrives, the network mixes it with a small bundle of numbers it has carried from everything it read before. That bundle is called the hidden state. It is the network's only memory, and it is rewritten at every step.

From the hidden state the network makes a guess about the next character. Early in training the guess is close to a coin toss over the whole alphabet, and the loss, measured in nats per character, sits near the logarithm of the number of distinct characters. Then the weights begin to move. The network notices that a space often follows the end of a word, that a capital letter often follows a full stop, and that the letter q is nearly always followed by u. The loss falls quickly at first and then more slowly.

Training works by unrolling the network over a short window of text, sixteen characters for example, and asking at each position how wrong the guess was. The error flows backwards through the window, step by step, from the last character to the first. This is called backpropagation through time. Every weight learns how much it contributed to the mistakes, and the optimizer nudges it a little in the direction that would have made them smaller.

The window cannot be very long, because the signal that flows backwards fades or explodes as it passes through many steps. A simple recurrent network with a tanh cell remembers a few words well and a sentence only faintly. Larger cells with gates were invented to keep information for longer, but the simple cell is easy to read and quick to train, which makes it a good place to start.

On this page the whole computation runs on the graphics card through WebGPU. The forward pass, the loss, the backward pass and the update of every weight are recorded into one command buffer and sent to the GPU as one piece of work. The page only asks for the loss every few steps, because reading a number back from the GPU means waiting for it to finish.

When you pause, the network writes a little text of its own. It starts from a single character, guesses the next one, feeds its own guess back in, and repeats. After a few hundred steps the result is not yet English, but it has the shape of English: words of a sensible length, spaces in the right places, and now and then a real word such as the, and, network or character. Give it more steps, or a larger hidden state, and the words become more common and the sentences a little less strange.

Try your own text in the box above. Poems, source code, recipes and lists of names all work. The network knows nothing about language before it starts; everything it writes it has learned from the characters you gave it, one at a time.
`;
