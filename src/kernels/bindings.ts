/**
 * Kernel bindings by name. Each kernel declares (registry.ts) the buffers its entry
 * point binds, by name: @binding(n) in @group(0) and the access, read-only storage,
 * read-write storage or the uniform block; only those the entry point uses, so its bind
 * group layout has nothing to pad. The name is the WGSL variable's, or the buffer's role
 * in this entry point where a module's entry points share a variable in different roles
 * (gradient_norm.wgsl's `source` is the gradients, the loss history or the scratch).
 * Ops pass buffers by the same names
 * (`{ gradients, parameters }`) and `storageEntries` maps them to binding indices,
 * refusing an unknown or a missing name. test/binding-declarations.test.ts checks the
 * declarations against the WGSL.
 */

/**
 * read: `var<storage, read>`; read-write: `var<storage, read_write>`; uniform: `var<uniform>`;
 * texture: `texture_storage_2d<rgba32float, read>` (an operand texture, read with textureLoad);
 * texture-write: `texture_storage_2d<rgba32float, write>` (an operand texture, written with textureStore).
 */
export type BindingAccess = 'read' | 'read-write' | 'uniform' | 'texture' | 'texture-write';

/** Accesses whose resource is a texture, not a buffer. */
export const TEXTURE_ACCESSES: ReadonlySet<BindingAccess> = new Set(['texture', 'texture-write']);

export interface BindingDeclaration {
  /** @binding(n) in @group(0). */
  readonly binding: number;
  readonly access: BindingAccess;
  /** The WGSL variable, where the kernel names the binding by its role instead. */
  readonly variable?: string;
  /**
   * The entry point uses the binding only for some uniform values, and says when not
   * (e.g. 'momentum is 0'); an op may then leave it out, and the plan binds a
   * placeholder there (WebGPU needs a buffer at every binding of the layout).
   */
  readonly unusedWhen?: string;
}

/** A kernel's bindings by WGSL variable name. */
export type Bindings = Readonly<Record<string, BindingDeclaration>>;

/** A binding's resource: a buffer, or a texture for the texture accesses. */
export type BindingResource = GPUBuffer | GPUTexture;

/** The buffers (and textures) of one dispatch by binding name; the uniform block is the plan's own. */
export type BindingBuffers = Readonly<Record<string, BindingResource | undefined>>;

/** The resource type of a declaration: a texture for the texture accesses, else a buffer. */
type ResourceOf<B> = B extends { access: 'texture' | 'texture-write' } ? GPUTexture : GPUBuffer;

/**
 * The buffers a dispatch of a kernel declaring `D` takes, for the type checker: every
 * storage binding by name, those declared unusedWhen optional, the uniform block not at all.
 */
export type BuffersFor<D extends Bindings> = {
  readonly [N in keyof D as D[N] extends { access: 'uniform' } | { unusedWhen: string } ? never : N]: ResourceOf<D[N]>;
} & {
  readonly [N in keyof D as D[N] extends { unusedWhen: string } ? N : never]?: ResourceOf<D[N]>;
};

/** Read-only storage at @binding(n); `variable`: the WGSL variable, where the kernel's name for it differs. */
export function read(binding: number, variable?: string): BindingDeclaration & { access: 'read' } {
  return variable === undefined ? { binding, access: 'read' } : { binding, access: 'read', variable };
}

/** Read-write storage at @binding(n); `variable` as for read. */
export function readWrite(binding: number, variable?: string): BindingDeclaration & { access: 'read-write' } {
  return variable === undefined ? { binding, access: 'read-write' } : { binding, access: 'read-write', variable };
}

/** An operand texture at @binding(n), `texture_storage_2d<rgba32float, read>` read with textureLoad (operand-textures.ts). */
export function texture(binding: number): BindingDeclaration & { access: 'texture' } {
  return { binding, access: 'texture' };
}

/** An operand texture at @binding(n), `texture_storage_2d<rgba32float, write>` written with textureStore (operand_panels.wgsl). */
export function textureWrite(binding: number): BindingDeclaration & { access: 'texture-write' } {
  return { binding, access: 'texture-write' };
}

export function uniform(binding: number): BindingDeclaration & { access: 'uniform' } {
  return { binding, access: 'uniform' };
}

/** A binding the entry point leaves unused when `condition` holds (an op may omit its buffer then). */
export function unusedWhen<D extends BindingDeclaration>(declaration: D, condition: string): D & { unusedWhen: string } {
  return { ...declaration, unusedWhen: condition };
}

/** One storage binding of a dispatch: the buffer (or texture), or undefined for an omitted `unusedWhen` binding. */
export interface StorageEntry {
  name: string;
  binding: number;
  access: BindingAccess;
  buffer: BindingResource | undefined;
}

/**
 * The storage bindings of a dispatch of `kernel` in declaration order, with the buffers
 * given by name. Refuses a name the kernel does not declare, the uniform block's name,
 * and a missing buffer for a binding the entry point always uses.
 */
export function storageEntries(kernel: string, declared: Bindings, buffers: BindingBuffers): StorageEntry[] {
  const storageNames = Object.keys(declared).filter((name) => declared[name].access !== 'uniform');
  for (const name of Object.keys(buffers)) {
    const declaration = declared[name] as BindingDeclaration | undefined;
    if (!declaration) throw new Error(`Kernel ${kernel} has no binding named '${name}' (its buffers: ${storageNames.join(', ')})`);
    if (declaration.access === 'uniform') throw new Error(`Kernel ${kernel}: '${name}' is the uniform block, which the dispatch plan binds itself`);
  }
  return storageNames.map((name) => {
    const { binding, access, unusedWhen } = declared[name];
    const buffer = buffers[name];
    if (!buffer && unusedWhen === undefined) throw new Error(`Kernel ${kernel}: no buffer given for binding '${name}' (@binding(${binding}))`);
    if (buffer && TEXTURE_ACCESSES.has(access) !== isTexture(buffer)) {
      throw new Error(`Kernel ${kernel}: binding '${name}' (@binding(${binding})) takes a ${TEXTURE_ACCESSES.has(access) ? 'texture' : 'buffer'}, got a ${isTexture(buffer) ? 'texture' : 'buffer'}`);
    }
    return { name, binding, access, buffer };
  });
}

/** The @binding of a kernel's uniform block (each kernel has exactly one). */
export function uniformBinding(kernel: string, declared: Bindings): number {
  const uniforms = Object.values(declared).filter((declaration) => declaration.access === 'uniform');
  if (uniforms.length !== 1) throw new Error(`Kernel ${kernel} declares ${uniforms.length} uniform bindings; the dispatch plan binds exactly one`);
  return uniforms[0].binding;
}

/** Whether a binding's resource is a texture (GPUTexture has createView; GPUBuffer has none). */
export function isTexture(resource: BindingResource): resource is GPUTexture {
  return typeof (resource as GPUTexture).createView === 'function';
}
