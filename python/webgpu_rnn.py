"""PyTorch companion of webgpu-rnn: the engine's models as plain PyTorch modules.

Files the engine writes (RnnModel.saveWeights / saveCheckpoint) load here, and files
written here load in the engine (RnnModel.fromWeights / fromCheckpoint). This is the way
past one machine: train in the browser, continue in PyTorch on a GPU or with
torch.distributed, and bring the result back.

    import webgpu_rnn
    model = webgpu_rnn.load("model.safetensors")              # a torch.nn.Module
    checkpoint = webgpu_rnn.load_checkpoint("run.safetensors")
    model, optimizer = checkpoint.model, checkpoint.optimizer  # Adam moments and step as the engine left them
    for tokens, targets in batches:                            # time-major LongTensors [T, B]
        webgpu_rnn.train_step(checkpoint, tokens, targets)
    webgpu_rnn.save("continued.safetensors", model, optimizer, step=checkpoint.step)

The modules (state_dict names are the file's tensor names; load_state_dict(strict=True)):

    WebGpuRnn   embedding  torch.nn.Embedding(V, D)       (only with embedding_size > 0)
                rnn        torch.nn.RNN / LSTM / GRU (time-major, num_layers, dropout); single-bias
                           models: SingleBiasRecurrent, the same with one bias_l{k} per layer
                head       torch.nn.Linear(H, V)
                token inputs without an embedding are one-hot: x_t = one_hot(token, V)
    SimpleRNN   PyTorch's founding example, the engine's one-layer single-bias simple RNN:
                i2h = Linear(I + H, H), h2o = Linear(H, V), hidden = tanh(i2h(cat(x, h)))

Only PyTorch is needed. The safetensors format is read and written here directly (a u64
little-endian header length, a JSON header, the tensors' bytes), through the `safetensors`
package when it is installed.
"""
import json
import math
import os
import struct
import sys
from dataclasses import dataclass, field
from typing import Optional

import torch
import torch.nn.functional as F

__all__ = ['WebGpuRnn', 'SimpleRNN', 'SingleBiasRecurrent', 'Checkpoint', 'load', 'load_checkpoint', 'save', 'train_step',
           'read_safetensors', 'write_safetensors']

FORMAT = 'webgpu-rnn'
FORMAT_VERSION = '2'
IGNORE_INDEX = -100
_FORMAT_KEYS = {'format', 'format_version', 'cell', 'nonlinearity', 'layers', 'input_kind', 'input_size',
                'embedding_size', 'hidden_size', 'output_size', 'single_bias', 'kind', 'training_state', 'bidirectional'}

# ---------------------------------------------------------------------------------------------
# safetensors

_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I32': torch.int32, 'I64': torch.int64, 'F16': torch.float16}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def read_safetensors(path):
    """(tensors by name, metadata dict) of a safetensors file."""
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f'{path}: not a safetensors file ({len(data)} bytes)')
    (header_length,) = struct.unpack('<Q', data[:8])
    if 8 + header_length > len(data):
        raise ValueError(f'{path}: header of {header_length} bytes runs past the end of the file')
    header = json.loads(data[8:8 + header_length].decode('utf-8'))
    metadata = header.pop('__metadata__', None) or {}
    body = memoryview(data)[8 + header_length:]
    tensors = {}
    for name, entry in header.items():
        if entry['dtype'] not in _DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {entry['dtype']}, expected one of {', '.join(_DTYPES)}")
        start, end = entry['data_offsets']
        dtype = _DTYPES[entry['dtype']]
        flat = torch.frombuffer(bytearray(body[start:end]), dtype=dtype) if end > start else torch.zeros(0, dtype=dtype)
        tensors[name] = flat.reshape(entry['shape'])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors (name → tensor) and string metadata in the safetensors format."""
    if sys.byteorder != 'little':
        raise RuntimeError('safetensors data is little-endian; this writer runs on little-endian hosts only')
    tensors = {name: t.detach().contiguous().cpu() for name, t in tensors.items()}
    metadata = {str(k): str(v) for k, v in (metadata or {}).items()}
    try:
        from safetensors.torch import save_file
    except ImportError:
        save_file = None
    if save_file is not None:
        save_file(tensors, path, metadata=metadata)
        return
    header = {'__metadata__': metadata}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        raw = tensor.numpy().tobytes()  # little-endian on the hosts PyTorch runs on (checked below)
        header[name] = {'dtype': _NAMES[tensor.dtype], 'shape': list(tensor.shape), 'data_offsets': [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header_bytes = json.dumps(header, separators=(',', ':')).encode('utf-8')
    header_bytes += b' ' * (-len(header_bytes) % 8)
    with open(path + '.partial', 'wb') as f:
        f.write(struct.pack('<Q', len(header_bytes)) + header_bytes + b''.join(chunks))
    os.replace(path + '.partial', path)


# ---------------------------------------------------------------------------------------------
# The modules


class SingleBiasRecurrent(torch.nn.Module):
    """nn.RNN / nn.LSTM with one bias per layer (Keras's form): parameters weight_ih_l{k}, weight_hh_l{k}, bias_l{k}.

    rnn:  h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)   (or relu)
    lstm: i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + W_hh h_{t-1} + b);  c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
    """

    def __init__(self, cell, input_size, hidden_size, num_layers=1, nonlinearity='tanh', dropout=0.0):
        super().__init__()
        if cell not in ('rnn', 'lstm'):
            raise ValueError(f"single-bias cells are 'rnn' and 'lstm', not {cell!r}")
        self.cell, self.hidden_size, self.num_layers, self.nonlinearity, self.dropout = cell, hidden_size, num_layers, nonlinearity, dropout
        gates = 4 if cell == 'lstm' else 1
        bound = 1 / math.sqrt(hidden_size)
        for k in range(num_layers):
            for name, shape in ((f'weight_ih_l{k}', (gates * hidden_size, input_size if k == 0 else hidden_size)),
                                (f'weight_hh_l{k}', (gates * hidden_size, hidden_size)), (f'bias_l{k}', (gates * hidden_size,))):
                self.register_parameter(name, torch.nn.Parameter(torch.empty(shape).uniform_(-bound, bound)))

    def forward(self, x, state=None):
        T, B = x.shape[0], x.shape[1]
        H = self.hidden_size
        if state is None:
            zeros = x.new_zeros(self.num_layers, B, H)
            state = (zeros, zeros.clone()) if self.cell == 'lstm' else zeros
        hidden, cell = state if self.cell == 'lstm' else (state, None)
        finals_h, finals_c = [], []
        for k in range(self.num_layers):
            w_ih, w_hh, b = getattr(self, f'weight_ih_l{k}'), getattr(self, f'weight_hh_l{k}'), getattr(self, f'bias_l{k}')
            projected = F.linear(x, w_ih, b)  # all T steps at once
            h = hidden[k]
            c = cell[k] if cell is not None else None
            outputs = []
            for t in range(T):
                a = projected[t] + F.linear(h, w_hh)
                if self.cell == 'lstm':
                    i, f, g, o = a.chunk(4, 1)
                    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                    h = torch.sigmoid(o) * torch.tanh(c)
                else:
                    h = torch.tanh(a) if self.nonlinearity == 'tanh' else torch.relu(a)
                outputs.append(h)
            x = torch.stack(outputs)
            finals_h.append(h)
            finals_c.append(c)
            if k < self.num_layers - 1 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
        final_hidden = torch.stack(finals_h)
        return x, ((final_hidden, torch.stack(finals_c)) if self.cell == 'lstm' else final_hidden)


class WebGpuRnn(torch.nn.Module):
    """Embedding (optional) → nn.RNN / LSTM / GRU (or SingleBiasRecurrent) → Linear head, as the engine computes it."""

    def __init__(self, cell, input_size, hidden_size, output_size, num_layers=1, nonlinearity='tanh',
                 input_kind='tokens', embedding_size=0, dropout=0.0, single_bias=False, bidirectional=False):
        super().__init__()
        if cell not in ('rnn', 'lstm', 'gru'):
            raise ValueError(f"cell is {cell!r}, expected 'rnn', 'lstm' or 'gru'")
        self.cell, self.input_kind, self.input_size = cell, input_kind, input_size
        self.hidden_size, self.output_size, self.num_layers = hidden_size, output_size, num_layers
        self.nonlinearity, self.embedding_size, self.single_bias = nonlinearity, embedding_size, single_bias
        self.bidirectional = bidirectional
        if embedding_size > 0:
            self.embedding = torch.nn.Embedding(input_size, embedding_size)
        first_input = embedding_size if embedding_size > 0 else input_size
        kwargs = dict(num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0)
        if single_bias:
            self.rnn = SingleBiasRecurrent(cell, first_input, hidden_size, nonlinearity=nonlinearity, **kwargs)
        elif cell == 'rnn':
            self.rnn = torch.nn.RNN(first_input, hidden_size, nonlinearity=nonlinearity, bidirectional=bidirectional, **kwargs)
        else:
            self.rnn = (torch.nn.LSTM if cell == 'lstm' else torch.nn.GRU)(first_input, hidden_size, bidirectional=bidirectional, **kwargs)
        # Bidirectional: each step's output is [h_fwd, h_rev], 2H wide.
        self.head = torch.nn.Linear((2 if bidirectional else 1) * hidden_size, output_size)

    def forward(self, inputs, state=None):
        """inputs: token ids [T, B] or features [T, B, I] (time-major). Returns logits [T, B, V] and the final state."""
        if self.input_kind == 'tokens':
            inputs = inputs.long()
            x = self.embedding(inputs) if self.embedding_size > 0 else F.one_hot(inputs, self.input_size).to(self.head.weight.dtype)
        else:
            x = inputs.to(self.head.weight.dtype)
        outputs, state = self.rnn(x, state)
        return self.head(outputs), state


class SimpleRNN(torch.nn.Module):
    """PyTorch's founding example: hidden = tanh(i2h(cat(x, hidden))), output = h2o(hidden). One bias."""

    def __init__(self, input_size, hidden_size, output_size, nonlinearity='tanh', input_kind='tokens'):
        super().__init__()
        self.cell, self.input_kind, self.input_size = 'rnn', input_kind, input_size
        self.hidden_size, self.output_size, self.num_layers = hidden_size, output_size, 1
        self.nonlinearity, self.embedding_size = nonlinearity, 0
        self.i2h = torch.nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = torch.nn.Linear(hidden_size, output_size)

    def forward(self, inputs, hidden=None):
        if self.input_kind == 'tokens':
            inputs = F.one_hot(inputs.long(), self.input_size).to(self.h2o.weight.dtype)
        if hidden is None:
            hidden = inputs.new_zeros(1, inputs.shape[1], self.hidden_size)
        h = hidden[0]
        phi = torch.tanh if self.nonlinearity == 'tanh' else torch.relu
        outputs = []
        for t in range(inputs.shape[0]):
            h = phi(self.i2h(torch.cat((inputs[t], h), 1)))
            outputs.append(self.h2o(h))
        return torch.stack(outputs), h.unsqueeze(0)


def _module_for(metadata):
    cell, layers = metadata['cell'], int(metadata['layers'])
    single_bias = metadata.get('single_bias', 'false') == 'true'
    sizes = dict(input_size=int(metadata['input_size']), hidden_size=int(metadata['hidden_size']),
                 output_size=int(metadata['output_size']))
    embedding_size = int(metadata.get('embedding_size', '0'))
    if single_bias and cell == 'rnn' and layers == 1 and embedding_size == 0:
        return SimpleRNN(nonlinearity=metadata['nonlinearity'], input_kind=metadata['input_kind'], **sizes)
    return WebGpuRnn(cell, num_layers=layers, nonlinearity=metadata['nonlinearity'], input_kind=metadata['input_kind'],
                     embedding_size=embedding_size, single_bias=single_bias,
                     bidirectional=metadata.get('bidirectional', 'false') == 'true', **sizes)


def _module_name(name):
    """Format-1 files had bare names: weight_ih_l0 → rnn.weight_ih_l0, weight → head.weight."""
    if name in ('weight', 'bias'):
        return 'head.' + name
    if name.startswith(('weight_ih_l', 'weight_hh_l', 'bias_ih_l', 'bias_hh_l', 'bias_l')):
        return 'rnn.' + name
    return name


def _file_name(name):
    """Format-2 name of a parameter or optimizer state ('optimizer.first.weight' → 'optimizer.first.head.weight')."""
    for prefix in ('optimizer.first.', 'optimizer.second.'):
        if name.startswith(prefix):
            return prefix + _module_name(name[len(prefix):])
    return _module_name(name)


def _read_model(path):
    tensors, metadata = read_safetensors(path)
    if metadata.get('format') != FORMAT:
        raise ValueError(f'{path}: not a webgpu-rnn file (metadata format {metadata.get("format")!r})')
    if metadata.get('format_version') not in ('1', '2'):
        raise ValueError(f'{path}: format_version {metadata.get("format_version")!r}, this companion reads 1 and 2')
    model = _module_for(metadata)
    model.webgpu_metadata = {k: v for k, v in metadata.items() if k not in _FORMAT_KEYS}
    tensors = {_file_name(n): t for n, t in tensors.items()}
    parameters = {n: t.to(torch.float32) for n, t in tensors.items() if not n.startswith('optimizer.')}
    model.load_state_dict(parameters, strict=True)
    return model, tensors, metadata


def load(path):
    """The model of a weights file or checkpoint written by the engine (float32, train mode)."""
    return _read_model(path)[0]


# ---------------------------------------------------------------------------------------------
# Checkpoints: the optimizer too


def _optimizer_for(model, config):
    kind, lr = config['type'], config['learningRate']
    decay = config.get('weightDecay', 0.01 if kind == 'adamw' else 0.0)
    params = model.parameters()
    if kind == 'sgd':
        return torch.optim.SGD(params, lr=lr, momentum=config.get('momentum', 0.0), nesterov=config.get('nesterov', False), weight_decay=decay)
    if kind in ('adam', 'adamw'):
        cls = torch.optim.Adam if kind == 'adam' else torch.optim.AdamW
        return cls(params, lr=lr, betas=(config.get('beta1', 0.9), config.get('beta2', 0.999)), eps=config.get('epsilon', 1e-8), weight_decay=decay)
    if kind == 'rmsprop':
        return torch.optim.RMSprop(params, lr=lr, alpha=config.get('alpha', 0.99), eps=config.get('epsilon', 1e-8), weight_decay=decay, momentum=config.get('momentum', 0.0))
    raise ValueError(f'optimizer type {kind!r} unknown')


def _optimizer_config(optimizer):
    group = optimizer.param_groups[0]
    lr = group.get('initial_lr', group['lr'])
    if isinstance(optimizer, torch.optim.AdamW):
        return {'type': 'adamw', 'learningRate': lr, 'beta1': group['betas'][0], 'beta2': group['betas'][1], 'epsilon': group['eps'], 'weightDecay': group['weight_decay']}
    if isinstance(optimizer, torch.optim.Adam):
        return {'type': 'adam', 'learningRate': lr, 'beta1': group['betas'][0], 'beta2': group['betas'][1], 'epsilon': group['eps'], 'weightDecay': group['weight_decay']}
    if isinstance(optimizer, torch.optim.SGD):
        return {'type': 'sgd', 'learningRate': lr, 'momentum': group['momentum'], 'nesterov': group['nesterov'], 'weightDecay': group['weight_decay']}
    if isinstance(optimizer, torch.optim.RMSprop):
        return {'type': 'rmsprop', 'learningRate': lr, 'alpha': group['alpha'], 'epsilon': group['eps'], 'weightDecay': group['weight_decay'], 'momentum': group['momentum']}
    raise ValueError(f'{type(optimizer).__name__} has no counterpart in the engine (SGD, Adam, AdamW, RMSprop)')


# The engine's per-parameter states, and torch.optim's names for them.
_STATE_NAMES = {'sgd': {'first': 'momentum_buffer'}, 'adam': {'first': 'exp_avg', 'second': 'exp_avg_sq'},
                'adamw': {'first': 'exp_avg', 'second': 'exp_avg_sq'}, 'rmsprop': {'first': 'momentum_buffer', 'second': 'square_avg'}}


def scheduled_learning_rate(schedule, base, step):
    """The engine's schedules: the learning rate of step t (from 1)."""
    kind = (schedule or {'type': 'constant'})['type']
    if kind == 'constant':
        return base
    if kind == 'step':
        return base * schedule['gamma'] ** ((step - 1) // schedule['stepSize'])
    minimum = schedule.get('minLearningRate', 0.0)
    warmup = schedule.get('warmupSteps', 0)
    if step <= warmup:
        return base * step / warmup
    progress = min(1.0, (step - warmup) / (schedule['totalSteps'] - warmup))
    return minimum + (base - minimum) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class Checkpoint:
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    #: Optimizer steps taken; the next one is step + 1.
    step: int
    #: The engine's full config (RnnModelConfig): optimizer, schedule, clipGradientNorm, loss, dropout, seed.
    config: dict
    #: LambdaLR following the engine's schedule from step + 1 on; call scheduler.step() after each optimizer.step().
    scheduler: Optional[torch.optim.lr_scheduler.LambdaLR] = None
    metadata: dict = field(default_factory=dict)


def load_checkpoint(path):
    """Model, torch.optim optimizer (moments and step restored) and schedule of an engine checkpoint."""
    model, tensors, metadata = _read_model(path)
    if metadata.get('kind') != 'checkpoint':
        raise ValueError(f'{path}: a {metadata.get("kind", "plain")} file, not a checkpoint; use load()')
    state = json.loads(metadata['training_state'])
    config, step = state['config'], int(state['optimizerStep'])
    optimizer = _optimizer_for(model, config['optimizer'])
    names = _STATE_NAMES[config['optimizer']['type']]
    for name, parameter in model.named_parameters():
        entry = {}
        for which, torch_name in names.items():
            key = f'optimizer.{which}.{name}'
            if key in tensors:
                entry[torch_name] = tensors[key].to(torch.float32).clone()
        if entry:
            if not isinstance(optimizer, torch.optim.SGD):
                entry['step'] = torch.tensor(float(step))
            optimizer.state[parameter] = entry
    base = config['optimizer']['learningRate']
    schedule = config.get('schedule', {'type': 'constant'})
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: scheduled_learning_rate(schedule, base, step + 1 + e) / base)
    model.webgpu_config = config
    model.webgpu_training_state = state
    return Checkpoint(model, optimizer, step, config, scheduler, model.webgpu_metadata)


def train_step(checkpoint, inputs, targets):
    """One step as the engine takes it: mean cross-entropy (or MSE), clipping, update, schedule. Returns the loss."""
    model, optimizer = checkpoint.model, checkpoint.optimizer
    optimizer.zero_grad()
    logits, _ = model(inputs)
    if checkpoint.config.get('loss') == 'mse':
        loss = F.mse_loss(logits, targets)
    else:
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1).long(), ignore_index=IGNORE_INDEX)
    loss.backward()
    clip = checkpoint.config.get('clipGradientNorm')
    if clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    if checkpoint.scheduler is not None:
        checkpoint.scheduler.step()
    checkpoint.step += 1
    return loss.item()


def _architecture_metadata(model):
    return {'format': FORMAT, 'format_version': FORMAT_VERSION, 'cell': model.cell, 'nonlinearity': model.nonlinearity,
            'layers': str(model.num_layers), 'input_kind': model.input_kind, 'input_size': str(model.input_size),
            'embedding_size': str(model.embedding_size), 'hidden_size': str(model.hidden_size),
            'output_size': str(model.output_size),
            'single_bias': 'true' if isinstance(model, SimpleRNN) or getattr(model, 'single_bias', False) else 'false',
            **({'bidirectional': 'true'} if getattr(model, 'bidirectional', False) else {})}


def _engine_config(model, optimizer):
    base = dict(getattr(model, 'webgpu_config', {}))
    arch = {'cell': model.cell, 'nonlinearity': model.nonlinearity, 'layers': model.num_layers,
            'hiddenSize': model.hidden_size, 'outputSize': model.output_size}
    arch['vocabularySize' if model.input_kind == 'tokens' else 'inputSize'] = model.input_size
    if model.embedding_size:
        arch['embeddingSize'] = model.embedding_size
    if isinstance(model, SimpleRNN) or getattr(model, 'single_bias', False):
        arch['singleBias'] = True
    if getattr(model, 'bidirectional', False):
        arch['bidirectional'] = True
    for key in ('vocabularySize', 'inputSize', 'embeddingSize', 'singleBias'):
        base.pop(key, None)
    return {**base, **arch, 'optimizer': _optimizer_config(optimizer)}


def save(path, model, optimizer=None, step=0, metadata=None):
    """Writes weights (no optimizer) or a checkpoint the engine continues (RnnModel.fromCheckpoint)."""
    model = getattr(model, 'module', model)  # DistributedDataParallel / DataParallel
    extra = {**getattr(model, 'webgpu_metadata', {}), **(metadata or {})}
    fields = {**extra, **_architecture_metadata(model)}
    tensors = {name: t.to(torch.float32) for name, t in model.state_dict().items()}
    if optimizer is None:
        write_safetensors(path, tensors, {**fields, 'kind': 'weights'})
        return
    config = _engine_config(model, optimizer)
    names = _STATE_NAMES[config['optimizer']['type']]
    for name, parameter in model.named_parameters():
        entry = optimizer.state.get(parameter, {})
        for which, torch_name in names.items():
            if which == 'first' and config['optimizer'].get('momentum', 1) == 0:
                continue
            value = entry.get(torch_name)
            tensors[f'optimizer.{which}.{name}'] = (value if value is not None else torch.zeros_like(parameter)).to(torch.float32)
    previous = getattr(model, 'webgpu_training_state', {})
    runs_before = previous.get('trainingRuns', 0) + step - previous.get('optimizerStep', 0)
    training_state = {'config': config, 'optimizerStep': int(step), 'trainingRuns': max(0, int(runs_before)),
                      'lossWrites': max(0, int(previous.get('lossWrites', 0) + step - previous.get('optimizerStep', 0)))}
    write_safetensors(path, tensors, {**fields, 'kind': 'checkpoint', 'training_state': json.dumps(training_state)})
