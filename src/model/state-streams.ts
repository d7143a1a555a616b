/**
 * The recurrent states a model carries from one run to the next (truncated BPTT), and
 * the copies that move them in and out of a plan's layers.
 *
 * A run starts from slot 0 of every layer's state buffers, h_{−1} (and c_{−1}), and
 * ends at slot T, h_{T−1} (and c_{T−1}); with `lengths`, sequence b ends at its own
 * slot lengths[b]. The final states of a run go to a named stream; `initialHidden:
 * 'carry'` starts the next run on that stream from them. Streams are independent, so
 * that e.g. validation between training chunks leaves training's memory as it was.
 *
 *   stream states   [L, B, H]  layer-major, as PyTorch's h_n (and c_n)
 */
import { createStorageBuffer, writeElements } from '../device/buffers.ts';
import { InvalidArgumentError } from '../validation.ts';
import type { RecurrentLayer } from './layers/recurrent-layer.ts';

/** The states one stream holds: hidden, and cell for LSTM, for batch size B. */
export interface StreamStates {
  readonly batchSize: number;
  readonly hidden: GPUBuffer;
  readonly cell: GPUBuffer | undefined;
}

/** Where a run's initial states come from. */
export type InitialStates =
  | { from: 'zero' }
  /** [L, B, H] each; a state not given starts from zero. */
  | { from: 'given'; hidden?: Float32Array; cell?: Float32Array }
  /** A stream's final states; `resetRows` start from zero instead (a new document begins). */
  | { from: 'carry'; stream: StreamStates; resetRows?: ArrayLike<number> };

export class StateStreams {
  private readonly device: GPUDevice;
  private readonly layers: number;
  private readonly hiddenSize: number;
  private readonly hasCell: boolean;
  private readonly streams = new Map<string, StreamStates>();
  private latestName: string | undefined;

  constructor(device: GPUDevice, shape: { layers: number; hiddenSize: number; hasCell: boolean }) {
    this.device = device;
    this.layers = shape.layers;
    this.hiddenSize = shape.hiddenSize;
    this.hasCell = shape.hasCell;
  }

  /**
   * The states 'carry' continues `name` from, for batch size B. Throws an
   * InvalidArgumentError, allocating nothing, when the stream has none or another B.
   */
  carried(name: string, batchSize: number): StreamStates {
    const stream = this.streams.get(name);
    if (!stream) throw new InvalidArgumentError('batch.initialHidden', `'carry' given but no earlier run on stream '${name}' left a state to carry`);
    if (stream.batchSize !== batchSize) {
      throw new InvalidArgumentError('batch.initialHidden', `'carry' given with batchSize ${batchSize}, but stream '${name}' carries a state of batch size ${stream.batchSize}`);
    }
    return stream;
  }

  /** The buffers a run's final states go to, (re)allocated for batch size B; the stream becomes the latest. */
  target(name: string, batchSize: number): StreamStates {
    let stream = this.streams.get(name);
    if (!stream || stream.batchSize !== batchSize) {
      this.forget(name);
      const elements = this.layers * batchSize * this.hiddenSize;
      stream = {
        batchSize,
        hidden: createStorageBuffer(this.device, `final hidden states '${name}'`, elements),
        cell: this.hasCell ? createStorageBuffer(this.device, `final cell states '${name}'`, elements) : undefined,
      };
      this.streams.set(name, stream);
    }
    this.latestName = name;
    return stream;
  }

  /** The stream the latest run wrote its final states to; undefined before any run. */
  get latest(): StreamStates | undefined {
    return this.latestName === undefined ? undefined : this.streams.get(this.latestName);
  }

  /** Bytes of the states every stream holds now. */
  get bytes(): number {
    return [...this.streams.values()].reduce((sum, stream) => sum + stream.hidden.size + (stream.cell?.size ?? 0), 0);
  }

  /** Drops a stream's states (the next 'carry' on it is refused until a run writes it again). */
  forget(name: string): void {
    const stream = this.streams.get(name);
    stream?.hidden.destroy();
    stream?.cell?.destroy();
    this.streams.delete(name);
  }

  destroy(): void {
    for (const name of [...this.streams.keys()]) this.forget(name);
  }
}

/** Records the initial states h_{−1} (and c_{−1}) into slot 0 of every layer: given, carried or zero. */
export function encodeInitialStates(device: GPUDevice, encoder: GPUCommandEncoder, layers: readonly RecurrentLayer[], batchSize: number, initial: InitialStates): void {
  const H = layers[0].hiddenSize;
  const B = batchSize;
  const stateBytes = B * H * 4;
  const rowBytes = H * 4;
  layers.forEach((layer, k) => {
    const cells = layer.cellStates;
    switch (initial.from) {
      case 'carry':
        encoder.copyBufferToBuffer(initial.stream.hidden, k * stateBytes, layer.hiddenStates, 0, stateBytes);
        if (cells) encoder.copyBufferToBuffer(initial.stream.cell!, k * stateBytes, cells.buffer, cells.offset * 4, stateBytes);
        for (const row of Array.from(initial.resetRows ?? [])) {
          encoder.clearBuffer(layer.hiddenStates, row * rowBytes, rowBytes);
          if (cells) encoder.clearBuffer(cells.buffer, cells.offset * 4 + row * rowBytes, rowBytes);
        }
        return;
      case 'given': {
        // Queue writes: they land before the encoder's commands run.
        if (initial.hidden) writeElements(device, layer.hiddenStates, 0, initial.hidden.subarray(k * B * H, (k + 1) * B * H));
        else encoder.clearBuffer(layer.hiddenStates, 0, stateBytes);
        if (cells && initial.cell) writeElements(device, cells.buffer, cells.offset, initial.cell.subarray(k * B * H, (k + 1) * B * H));
        else if (cells) encoder.clearBuffer(cells.buffer, cells.offset * 4, stateBytes);
        return;
      }
      case 'zero':
        encoder.clearBuffer(layer.hiddenStates, 0, stateBytes);
        if (cells) encoder.clearBuffer(cells.buffer, cells.offset * 4, stateBytes);
    }
  });
}

/**
 * Records the final states of every layer into a stream: h_{T−1} (and c_{T−1}), or with
 * `lengths` each sequence's own h_{lengths[b]−1}, one row at a time.
 */
export function encodeFinalStates(encoder: GPUCommandEncoder, layers: readonly RecurrentLayer[], timeSteps: number, target: StreamStates, lengths?: ArrayLike<number>): void {
  const H = layers[0].hiddenSize;
  const B = target.batchSize;
  const stateBytes = B * H * 4;
  const rowBytes = H * 4;
  const copyFinal = (source: GPUBuffer, sourceOffsetBytes: number, destination: GPUBuffer, k: number) => {
    if (!lengths) {
      encoder.copyBufferToBuffer(source, sourceOffsetBytes + timeSteps * stateBytes, destination, k * stateBytes, stateBytes);
      return;
    }
    for (let b = 0; b < B; b++) {
      encoder.copyBufferToBuffer(source, sourceOffsetBytes + lengths[b] * stateBytes + b * rowBytes, destination, k * stateBytes + b * rowBytes, rowBytes);
    }
  };
  layers.forEach((layer, k) => {
    copyFinal(layer.hiddenStates, 0, target.hidden, k);
    if (layer.cellStates) copyFinal(layer.cellStates.buffer, layer.cellStates.offset * 4, target.cell!, k);
  });
}
