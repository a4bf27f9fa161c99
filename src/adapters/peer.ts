// The frameworks are optional peer dependencies: `npm install sentvec` never installs them. An
// adapter imports its framework dynamically through importPeer, so that where it is missing the
// error names the package to install instead of a module path inside sentvec.

/**
 * `load()`, the dynamic import of a module that needs `peer`; rejects with the npm command that
 * installs `peer` when Node cannot find that package.
 */
export async function importPeer<T>(load: () => Promise<T>, peer: string, adapter: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes(`'${peer}'`)) {
      throw new Error(`${adapter} needs ${peer}, an optional peer dependency of sentvec that is not installed: npm install ${peer}`, { cause: error });
    }
    throw error;
  }
}
