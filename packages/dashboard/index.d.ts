/** Absolute path of the built dashboard (index.html and assets/), written by `npm run build`. */
export declare const dashboardDir: string;
