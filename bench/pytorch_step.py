"""The bench's training step in PyTorch on the CPU: "the same silicon, natively".

Reads a JSON list of configs on stdin ({name, cell, hidden, batch, timeSteps,
vocabulary, learningRate, warmup, steps, minSeconds, threads}) and prints one
JSON object per line: {name, initialLoss, stepSeconds, meanStepSeconds, steps,
cpuSeconds} (cpuSeconds: the best chunk's process CPU time per step, all threads).
The model is what a PyTorch user would write for the same step: one-hot inputs
(V classes) into nn.LSTM / nn.GRU / nn.RNN (1 layer, hidden H), a Linear head at
every step, mean softmax cross-entropy, Adam. Timing: the best chunk of
back-to-back steps, as bench/timing.ts does.
"""
import json
import sys
import time

import torch


def time_steps(step, runs, min_seconds):
    best = float("inf")
    best_cpu = float("inf")
    total = 0.0
    done = 0
    chunk = 1
    while done < runs or total < min_seconds:
        start = time.perf_counter()
        cpu_start = time.process_time()
        for _ in range(chunk):
            step()
        elapsed = time.perf_counter() - start
        best = min(best, elapsed / chunk)
        best_cpu = min(best_cpu, (time.process_time() - cpu_start) / chunk)
        total += elapsed
        done += chunk
        chunk = max(1, round(min_seconds / 4 / (elapsed / chunk)))
    return best, total / done, done, best_cpu


def bench(config):
    torch.manual_seed(1)
    hidden, batch, steps_t, vocabulary = config["hidden"], config["batch"], config["timeSteps"], config["vocabulary"]
    cell = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[config["cell"]]
    recurrent = cell(vocabulary, hidden)
    head = torch.nn.Linear(hidden, vocabulary)
    parameters = list(recurrent.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(parameters, lr=config["learningRate"])
    generator = torch.Generator().manual_seed(7)
    tokens = torch.randint(0, vocabulary, (steps_t, batch), generator=generator)
    targets = torch.randint(0, vocabulary, (steps_t, batch), generator=generator)
    inputs = torch.nn.functional.one_hot(tokens, vocabulary).float()
    loss_function = torch.nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad(set_to_none=True)
        outputs, _ = recurrent(inputs)
        loss = loss_function(head(outputs).reshape(-1, vocabulary), targets.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss

    initial_loss = float(step().detach())
    for _ in range(config["warmup"]):
        step()
    best, mean, done, best_cpu = time_steps(step, config["steps"], config["minSeconds"])
    return {"name": config["name"], "initialLoss": initial_loss, "stepSeconds": best, "meanStepSeconds": mean, "steps": done, "cpuSeconds": best_cpu}


def main():
    configs = json.load(sys.stdin)
    if configs:
        torch.set_num_threads(configs[0]["threads"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for config in configs:
        print(json.dumps(bench(config)), flush=True)


if __name__ == "__main__":
    main()
