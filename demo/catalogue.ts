// Fresh-grocery category templates for the synthetic city. Shelf lives are typical retail
// figures (leafy greens days, frozen months); min shelf life at delivery is what a customer
// would reasonably expect to have left at home.
import type { Zone } from '../domain/orders/types';

/** A category template the generator draws SKUs from. */
export interface CategoryTemplate {
  readonly category: string;
  readonly zone: Zone;
  readonly perishable: boolean;
  /** Typical days from receipt to expiry for a fresh lot. */
  readonly shelfLifeDays: number;
  readonly minShelfLifeDays: number;
  readonly priceCents: readonly [number, number];
  /** Relative share of the catalogue. */
  readonly weight: number;
  readonly items: readonly string[];
}

/** The categories a fresh-grocery catalogue is built from. */
export const CATEGORIES: readonly CategoryTemplate[] = [
  {
    category: 'leafy_greens',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 5,
    minShelfLifeDays: 1,
    priceCents: [290, 1290],
    weight: 8,
    items: ['Bok Choy', 'Spinach', 'Romaine', 'Choy Sum', 'Water Spinach', 'Pea Shoots', 'Chinese Cabbage', 'Lettuce'],
  },
  {
    category: 'berries',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 6,
    minShelfLifeDays: 2,
    priceCents: [1590, 4990],
    weight: 4,
    items: ['Strawberries', 'Blueberries', 'Raspberries', 'Mulberries', 'Cherries'],
  },
  {
    category: 'fruit',
    zone: 'ambient',
    perishable: true,
    shelfLifeDays: 12,
    minShelfLifeDays: 3,
    priceCents: [590, 2990],
    weight: 7,
    items: ['Apples', 'Oranges', 'Bananas', 'Pears', 'Mango', 'Kiwi', 'Grapes'],
  },
  {
    category: 'vegetables',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 10,
    minShelfLifeDays: 2,
    priceCents: [190, 990],
    weight: 9,
    items: ['Tomatoes', 'Cucumber', 'Carrots', 'Broccoli', 'Eggplant', 'Lotus Root', 'Mushrooms', 'Peppers'],
  },
  {
    category: 'dairy',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 14,
    minShelfLifeDays: 3,
    priceCents: [650, 3290],
    weight: 8,
    items: ['Fresh Milk', 'Yogurt', 'Cheese', 'Butter', 'Cream'],
  },
  {
    category: 'eggs',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 30,
    minShelfLifeDays: 7,
    priceCents: [990, 2590],
    weight: 2,
    items: ['Free-range Eggs', 'Duck Eggs', 'Quail Eggs'],
  },
  {
    category: 'tofu',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 5,
    minShelfLifeDays: 2,
    priceCents: [290, 890],
    weight: 3,
    items: ['Soft Tofu', 'Firm Tofu', 'Tofu Skin', 'Soy Milk'],
  },
  {
    category: 'meat',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 6,
    minShelfLifeDays: 2,
    priceCents: [1990, 8990],
    weight: 7,
    items: ['Pork Belly', 'Minced Pork', 'Beef Shank', 'Chicken Thigh', 'Lamb Slices', 'Spare Ribs'],
  },
  {
    category: 'seafood',
    zone: 'chilled',
    perishable: true,
    shelfLifeDays: 3,
    minShelfLifeDays: 1,
    priceCents: [2990, 12990],
    weight: 5,
    items: ['Shrimp', 'Sea Bass', 'Clams', 'Yellow Croaker', 'Squid', 'Crab'],
  },
  {
    category: 'frozen_dumplings',
    zone: 'frozen',
    perishable: true,
    shelfLifeDays: 180,
    minShelfLifeDays: 30,
    priceCents: [1290, 3990],
    weight: 5,
    items: ['Pork Dumplings', 'Shrimp Wontons', 'Xiaolongbao', 'Tangyuan', 'Potstickers'],
  },
  {
    category: 'ice_cream',
    zone: 'frozen',
    perishable: true,
    shelfLifeDays: 270,
    minShelfLifeDays: 60,
    priceCents: [590, 4590],
    weight: 4,
    items: ['Vanilla Ice Cream', 'Matcha Ice Cream', 'Red Bean Popsicle', 'Mango Sorbet'],
  },
  {
    category: 'frozen_seafood',
    zone: 'frozen',
    perishable: true,
    shelfLifeDays: 240,
    minShelfLifeDays: 45,
    priceCents: [2990, 9990],
    weight: 3,
    items: ['Frozen Prawns', 'Frozen Cod', 'Frozen Scallops'],
  },
  {
    category: 'bread',
    zone: 'ambient',
    perishable: true,
    shelfLifeDays: 4,
    minShelfLifeDays: 1,
    priceCents: [590, 2490],
    weight: 4,
    items: ['Toast Loaf', 'Baguette', 'Steamed Buns', 'Croissant'],
  },
  {
    category: 'rice',
    zone: 'ambient',
    perishable: false,
    shelfLifeDays: 365,
    minShelfLifeDays: 90,
    priceCents: [2990, 9990],
    weight: 3,
    items: ['Jasmine Rice', 'Northeast Rice', 'Glutinous Rice', 'Brown Rice'],
  },
  {
    category: 'oil',
    zone: 'ambient',
    perishable: false,
    shelfLifeDays: 540,
    minShelfLifeDays: 120,
    priceCents: [3990, 12990],
    weight: 2,
    items: ['Peanut Oil', 'Rapeseed Oil', 'Sesame Oil', 'Sunflower Oil'],
  },
  {
    category: 'drinks',
    zone: 'ambient',
    perishable: false,
    shelfLifeDays: 270,
    minShelfLifeDays: 30,
    priceCents: [290, 2990],
    weight: 7,
    items: ['Mineral Water', 'Green Tea', 'Soda', 'Juice', 'Soy Drink', 'Beer'],
  },
  {
    category: 'snacks',
    zone: 'ambient',
    perishable: false,
    shelfLifeDays: 180,
    minShelfLifeDays: 30,
    priceCents: [390, 2990],
    weight: 6,
    items: ['Crackers', 'Seaweed Snack', 'Nuts', 'Biscuits', 'Chips'],
  },
  {
    category: 'condiments',
    zone: 'ambient',
    perishable: false,
    shelfLifeDays: 365,
    minShelfLifeDays: 60,
    priceCents: [390, 2490],
    weight: 3,
    items: ['Soy Sauce', 'Vinegar', 'Chili Sauce', 'Oyster Sauce'],
  },
];

/** Pack-size variants appended to item names so thousands of SKUs stay readable. */
export const VARIANTS: readonly string[] = [
  '250g',
  '500g',
  '1kg',
  'Family Pack',
  'Organic',
  'Value',
  'Premium',
  'Small',
  'Large',
  '2-pack',
];
