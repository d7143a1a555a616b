"""Continues an engine checkpoint with DistributedDataParallel: two processes (gloo, 127.0.0.1).

    /usr/bin/python3 python/continue_ddp.py CHECKPOINT BATCHES OUT [WORLD_SIZE]

Every process loads the same checkpoint (model, optimizer moments and step) and takes its
share of each batch's sequences (B must divide evenly); DDP averages the gradients, so each
step is the full batch's mean-loss step. Rank 0 writes OUT, a checkpoint the engine resumes
with RnnModel.fromCheckpoint. BATCHES as for continue_training.py.
"""
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

import webgpu_rnn


def worker(rank, world_size, port, checkpoint_path, batches_path, out_path):
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    try:
        checkpoint = webgpu_rnn.load_checkpoint(checkpoint_path)
        model = checkpoint.model
        checkpoint.model = DistributedDataParallel(model)
        batches, _ = webgpu_rnn.read_safetensors(batches_path)
        inputs = batches['input_tokens'] if 'input_tokens' in batches else batches['inputs']
        targets = batches['targets']
        batch_size = targets.shape[2]
        if batch_size % world_size:
            raise ValueError(f'batch size {batch_size} does not split over {world_size} processes')
        share = slice(rank * batch_size // world_size, (rank + 1) * batch_size // world_size)
        if rank == 0:
            print(f'{dist.get_world_size()} processes, {batch_size // world_size} sequences each', flush=True)
        for m in range(inputs.shape[0]):
            loss = webgpu_rnn.train_step(checkpoint, inputs[m][:, share], targets[m][:, share])
            # The full batch's mean loss: the mean of the equal shares' means. Printed by rank 0 alone.
            total = torch.tensor([loss], dtype=torch.float64)
            dist.all_reduce(total)
            if rank == 0:
                print(f'step {checkpoint.step} loss {total.item() / world_size:.9g}', flush=True)
        if rank == 0:
            webgpu_rnn.save(out_path, model, checkpoint.optimizer, step=checkpoint.step)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def main(checkpoint_path, batches_path, out_path, world_size='2'):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    mp.spawn(worker, args=(int(world_size), port, checkpoint_path, batches_path, out_path), nprocs=int(world_size), join=True)


if __name__ == '__main__':
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
