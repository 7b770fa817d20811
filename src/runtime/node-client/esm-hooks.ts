/**
 * ES module resolve hook (module.register): bare `@aws-sdk/*` and `aws-sdk`
 * specifiers that the function's own node_modules cannot satisfy resolve from
 * Nimbus' SDK directory, mirroring what NODE_PATH does for CommonJS.
 */
interface ResolveContext {
  parentURL?: string;
  conditions: string[];
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

let sdkParent = '';

export function initialize(data: { sdkParent: string }): void {
  sdkParent = data.sdkParent;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string }> {
  try {
    return await next(specifier, context);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && sdkParent && (specifier.startsWith('@aws-sdk/') || specifier === 'aws-sdk' || specifier.startsWith('aws-sdk/'))) {
      return next(specifier, { ...context, parentURL: sdkParent });
    }
    throw e;
  }
}
