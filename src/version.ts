/** The version string: injected by the bundler, read from package.json when running from source. */
export const VERSION: string = typeof CFSBOOT_VERSION === 'string' ? CFSBOOT_VERSION : '0.0.0-dev';
