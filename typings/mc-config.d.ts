// The frozen configuration object the build generates from the manifests' "config".
declare module 'mc/config' {
  const config: { readonly [key: string]: unknown };
  export default config;
}
