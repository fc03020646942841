/** VICS categories (DESIGN.md section 1), by number; labels come from the locale files (`category.N`). */
export const CATEGORIES = [0, 1, 2, 3, 4, 5] as const;
