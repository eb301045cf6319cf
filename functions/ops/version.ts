/** Berth's version as systeminfo reports it; test/ops checks it against package.json. */
export const berthVersion = '0.1.0';
