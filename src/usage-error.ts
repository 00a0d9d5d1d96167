/** Usage error: main prints the message and usage to stderr and exits 2. Ground floor: any layer may throw it. */
export class UsageError extends Error {}
