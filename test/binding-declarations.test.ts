/**
 * Each kernel's declared bindings (registry.ts) against its WGSL: the resource variables
 * its entry point uses (directly or through the functions it calls) are exactly the
 * declared names, at the declared @binding, with the declared access. And the mapping
 * of an op's buffers by name (bindings.ts storageEntries) refuses unknown and missing
 * names. No GPU needed.
 */
import { describe, expect, it } from 'vitest';
import { type BindingAccess, type BindingDeclaration, type Bindings, read, readWrite, storageEntries, TEXTURE_ACCESSES, texture, uniform, uniformBinding, unusedWhen } from '../src/kernels/bindings.ts';
import { STORAGE_BUFFERS_NEEDED } from '../src/device/gpu-context.ts';
import { KERNELS, type KernelName } from '../src/kernels/registry.ts';

const ACCESS: Record<string, BindingAccess> = { 'storage,read': 'read', 'storage,read_write': 'read-write', uniform: 'uniform' };
/** Texture types of handle variables (`var name: type`) and their access. */
const TEXTURE_ACCESS: Record<string, BindingAccess> = { 'texture_storage_2d<rgba32float,read>': 'texture', 'texture_storage_2d<rgba32float,write>': 'texture-write' };

interface WgslFunction {
  body: string;
  /** Names its parameters and local `let`/`var`/`const` declarations introduce. */
  locals: Set<string>;
}

/** Module-scope `@group(0) @binding(n) var<…> name` declarations of a WGSL module, by name. */
function resourceVariables(code: string): Map<string, { binding: number; access: BindingAccess }> {
  const variables = new Map<string, { binding: number; access: BindingAccess }>();
  for (const match of code.matchAll(/@group\(\s*(\d+)\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var<([^>]*)>\s*(\w+)\s*:/g)) {
    const [, group, binding, space, name] = match;
    expect(group, `${name}: bind group`).toBe('0');
    const access = ACCESS[space.replace(/\s+/g, '')];
    if (!access) throw new Error(`Unparsed address space var<${space}> of ${name}`);
    if (variables.has(name)) throw new Error(`Resource variable ${name} declared twice`);
    variables.set(name, { binding: Number(binding), access });
  }
  // Handle variables: `var name: texture_storage_2d<rgba32float, read>` (no address space).
  for (const match of code.matchAll(/@group\(\s*(\d+)\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s+(\w+)\s*:\s*([^;]+);/g)) {
    const [, group, binding, name, type] = match;
    expect(group, `${name}: bind group`).toBe('0');
    const access = TEXTURE_ACCESS[type.replace(/\s+/g, '')];
    if (!access) throw new Error(`Unparsed handle type ${type} of ${name}`);
    if (variables.has(name)) throw new Error(`Resource variable ${name} declared twice`);
    variables.set(name, { binding: Number(binding), access });
  }
  return variables;
}

/** Every `fn name(params) -> type { body }` of a WGSL module, by name. */
function functions(code: string): Map<string, WgslFunction> {
  const result = new Map<string, WgslFunction>();
  for (const match of code.matchAll(/\bfn\s+(\w+)\s*\(/g)) {
    const name = match[1];
    let index = match.index! + match[0].length;
    let depth = 1;
    const paramsStart = index;
    while (depth > 0) {
      const char = code[index++];
      if (char === '(') depth++;
      else if (char === ')') depth--;
      if (index > code.length) throw new Error(`fn ${name}: unclosed parameter list`);
    }
    const params = code.slice(paramsStart, index - 1);
    const bodyStart = code.indexOf('{', index) + 1;
    index = bodyStart;
    depth = 1;
    while (depth > 0) {
      const char = code[index++];
      if (char === '{') depth++;
      else if (char === '}') depth--;
      if (index > code.length) throw new Error(`fn ${name}: unclosed body`);
    }
    const body = code.slice(bodyStart, index - 1);
    const locals = new Set([
      ...[...params.matchAll(/(?:^|,)\s*(?:@\w+(?:\([^)]*\))?\s*)*(\w+)\s*:/g)].map((param) => param[1]),
      ...[...body.matchAll(/\b(?:let|var|const)\s+(\w+)/g)].map((local) => local[1]),
    ]);
    if (result.has(name)) throw new Error(`fn ${name} defined twice`);
    result.set(name, { body, locals });
  }
  return result;
}

/** The resource variables an entry point uses: those named in it or in any function it calls, transitively. */
function usedByEntryPoint(source: string, entryPoint: string): Map<string, { binding: number; access: BindingAccess }> {
  const code = source.replace(/\/\/[^\n]*/g, '');
  const variables = resourceVariables(code);
  const bodies = functions(code);
  const entry = bodies.get(entryPoint);
  if (!entry) throw new Error(`No fn ${entryPoint}`);
  expect(code, `${entryPoint} is a compute entry point`).toMatch(new RegExp(`@compute[^;{}]*fn\\s+${entryPoint}\\s*\\(`));
  const used = new Map<string, { binding: number; access: BindingAccess }>();
  const reached = new Set([entryPoint]);
  const pending = [entryPoint];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const { body, locals } = bodies.get(name)!;
    // Identifiers not preceded by '.' (struct members such as u.count are not variables). A
    // parameter or local of the function (`let a` in a matmul core) hides a resource variable of
    // that name in the whole function: a function that used both would read as not using it,
    // which the comparison with the declaration reports rather than hides.
    for (const [, identifier] of body.matchAll(/(?<![.\w])([A-Za-z_]\w*)/g)) {
      const variable = locals.has(identifier) ? undefined : variables.get(identifier);
      if (variable) used.set(identifier, variable);
      if (bodies.has(identifier) && !reached.has(identifier)) {
        reached.add(identifier);
        pending.push(identifier);
      }
    }
  }
  return used;
}

/**
 * Declared bindings that differ from what the WGSL entry point uses, one line each (empty
 * when they agree). A declaration names its WGSL variable by its key, or by `variable` where
 * the kernel names the buffer by its role.
 */
function bindingMismatches(source: string, entryPoint: string, declared: Bindings): string[] {
  const used = usedByEntryPoint(source, entryPoint);
  const byVariable = new Map<string, [string, BindingDeclaration]>();
  const problems: string[] = [];
  for (const [name, declaration] of Object.entries(declared)) {
    const variable = declaration.variable ?? name;
    if (byVariable.has(variable)) problems.push(`${name}: WGSL variable ${variable} declared twice`);
    byVariable.set(variable, [name, declaration]);
  }
  for (const [variable, { binding, access }] of used) {
    const [name, declaration] = byVariable.get(variable) ?? [variable, undefined];
    if (!declaration) problems.push(`${variable} (@binding(${binding}), ${access}) is used but not declared`);
    else if (declaration.binding !== binding || declaration.access !== access) {
      problems.push(`${name}: declared @binding(${declaration.binding}) ${declaration.access}, the WGSL has @binding(${binding}) ${access}`);
    }
  }
  for (const [variable, [name]] of byVariable) {
    if (!used.has(variable)) problems.push(`${name} is declared but ${entryPoint} does not use ${variable}`);
  }
  return problems;
}

/** WebGPU's default maxStorageTexturesPerShaderStage (the device asks for no more). */
const DEFAULT_STORAGE_TEXTURES_PER_STAGE = 4;

const fakeBuffer = (label: string) => ({ label }) as unknown as GPUBuffer;

describe('binding declarations', () => {
  for (const name of Object.keys(KERNELS) as KernelName[]) {
    it(`${name}: the declared bindings are those its entry point uses, at their @binding, with their access`, () => {
      const spec = KERNELS[name];
      expect(bindingMismatches(spec.sources.join('\n'), spec.entryPoint, spec.bindings)).toEqual([]);
      const storage = Object.values(spec.bindings as Bindings).filter((declaration) => declaration.access !== 'uniform');
      const textures = storage.filter((declaration) => TEXTURE_ACCESSES.has(declaration.access));
      // Compatibility-mode adapters may offer only this many storage buffers per stage (gpu-context.ts);
      // storage textures count against their own limit, 4 per stage by default on both feature levels.
      expect(storage.length - textures.length, 'storage buffers').toBeLessThanOrEqual(STORAGE_BUFFERS_NEEDED);
      expect(textures.length, 'storage textures').toBeLessThanOrEqual(DEFAULT_STORAGE_TEXTURES_PER_STAGE);
      const indices = Object.values(spec.bindings as Bindings).map((declaration) => declaration.binding);
      expect(new Set(indices).size, 'distinct @binding indices').toBe(indices.length);
      expect(uniformBinding(name, spec.bindings)).toBeGreaterThanOrEqual(0);
    });
  }

  it('a swapped pair, a wrong access, a missing and an extra binding are each caught', () => {
    const { sources, entryPoint, bindings } = KERNELS.adamUpdate;
    const source = sources.join('\n');
    expect(bindingMismatches(source, entryPoint, { ...bindings, firstMoment: readWrite(3), secondMoment: readWrite(2) })).toEqual([
      'firstMoment: declared @binding(3) read-write, the WGSL has @binding(2) read-write',
      'secondMoment: declared @binding(2) read-write, the WGSL has @binding(3) read-write',
    ]);
    expect(bindingMismatches(source, entryPoint, { ...bindings, gradients: readWrite(0) })).toEqual([
      'gradients: declared @binding(0) read-write, the WGSL has @binding(0) read',
    ]);
    const { secondMoment: _dropped, ...withoutSecond } = bindings;
    expect(bindingMismatches(source, entryPoint, withoutSecond)).toEqual(['secondMoment (@binding(3), read-write) is used but not declared']);
    // dropoutBackward works in place: the module's `input` is not in its interface.
    const dropout = KERNELS.dropoutBackward;
    expect(bindingMismatches(dropout.sources.join('\n'), dropout.entryPoint, { ...dropout.bindings, input: read(0) })).toEqual([
      'input is declared but dropoutBackward does not use input',
    ]);
    // A role name checks its WGSL variable: the scratch of the clip is gradient_norm.wgsl's `source`, read-only.
    const clip = KERNELS.scaleGradients;
    expect(bindingMismatches(clip.sources.join('\n'), clip.entryPoint, { ...clip.bindings, scratch: read(0, 'destination'), gradients: readWrite(1, 'source') })).toEqual([
      'scratch: declared @binding(0) read, the WGSL has @binding(1) read-write',
      'gradients: declared @binding(1) read-write, the WGSL has @binding(0) read',
    ]);
  });

  it('follows calls: the matmul cores reach a, b, bias and c through loadA, loadB and storeOutput', () => {
    const { sources, entryPoint } = KERNELS.matmul;
    expect([...usedByEntryPoint(sources.join('\n'), entryPoint).keys()].sort()).toEqual(['a', 'b', 'bias', 'c', 'u']);
  });
});

describe('buffers by binding name', () => {
  const declared = { gradients: read(0), parameters: readWrite(1), momentumBuffer: unusedWhen(readWrite(2), 'momentum is 0'), u: uniform(3) };
  const [gradients, parameters, momentum] = ['g', 'p', 'm'].map(fakeBuffer);

  it('maps names to binding indices in declaration order; an unusedWhen binding may be left out', () => {
    expect(storageEntries('sgdUpdate', declared, { parameters, gradients, momentumBuffer: momentum })).toEqual([
      { name: 'gradients', binding: 0, access: 'read', buffer: gradients },
      { name: 'parameters', binding: 1, access: 'read-write', buffer: parameters },
      { name: 'momentumBuffer', binding: 2, access: 'read-write', buffer: momentum },
    ]);
    expect(storageEntries('sgdUpdate', declared, { gradients, parameters })[2]).toEqual({ name: 'momentumBuffer', binding: 2, access: 'read-write', buffer: undefined });
    expect(uniformBinding('sgdUpdate', declared)).toBe(3);
  });

  it('refuses an unknown name, the uniform block and a missing buffer, naming the kernel and the binding', () => {
    expect(() => storageEntries('sgdUpdate', declared, { gradients, parameters, momentum })).toThrow(
      "Kernel sgdUpdate has no binding named 'momentum' (its buffers: gradients, parameters, momentumBuffer)",
    );
    expect(() => storageEntries('sgdUpdate', declared, { gradients, parameters, u: momentum })).toThrow("Kernel sgdUpdate: 'u' is the uniform block");
    expect(() => storageEntries('sgdUpdate', declared, { parameters })).toThrow("Kernel sgdUpdate: no buffer given for binding 'gradients' (@binding(0))");
    expect(() => storageEntries('sgdUpdate', declared, { gradients, parameters: undefined })).toThrow("binding 'parameters' (@binding(1))");
    expect(() => uniformBinding('noUniforms', { gradients: read(0) })).toThrow('Kernel noUniforms declares 0 uniform bindings');
  });

  it('takes a texture where a binding is a texture and a buffer elsewhere, and says which it wanted', () => {
    const textureKernel = { a: texture(0), c: readWrite(1), u: uniform(2) };
    const operand = { label: 'operand texture', createView: () => ({}) } as unknown as GPUTexture;
    expect(storageEntries('textureKernel', textureKernel, { a: operand, c: gradients })).toEqual([
      { name: 'a', binding: 0, access: 'texture', buffer: operand },
      { name: 'c', binding: 1, access: 'read-write', buffer: gradients },
    ]);
    expect(() => storageEntries('textureKernel', textureKernel, { a: parameters, c: gradients })).toThrow("Kernel textureKernel: binding 'a' (@binding(0)) takes a texture, got a buffer");
    expect(() => storageEntries('textureKernel', textureKernel, { a: operand, c: operand })).toThrow("binding 'c' (@binding(1)) takes a buffer, got a texture");
  });
});
