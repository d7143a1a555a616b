"""Continues an engine checkpoint in PyTorch on batches from a file, and writes a checkpoint the engine resumes.

    /usr/bin/python3 python/continue_training.py CHECKPOINT BATCHES OUT

BATCHES is a safetensors file with `input_tokens` I32 [M, T, B] (or `inputs` F32
[M, T, B, I]) and `targets` [M, T, B]: M steps of time-major batches. Prints each step's loss.
"""
import sys

import torch

import webgpu_rnn


def main(checkpoint_path, batches_path, out_path):
    torch.manual_seed(0)
    checkpoint = webgpu_rnn.load_checkpoint(checkpoint_path)
    batches, _ = webgpu_rnn.read_safetensors(batches_path)
    inputs = batches['input_tokens'] if 'input_tokens' in batches else batches['inputs']
    for m in range(inputs.shape[0]):
        loss = webgpu_rnn.train_step(checkpoint, inputs[m], batches['targets'][m])
        print(f'step {checkpoint.step} loss {loss:.9g}', flush=True)
    webgpu_rnn.save(out_path, checkpoint.model, checkpoint.optimizer, step=checkpoint.step)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
