// Public surface of the demo: the synthetic city, its catalogue and the seeded PRNG they draw
// from. Demo and test code only; production code and the workflow bundle never import it.
export * from './catalogue';
export * from './city';
export * from './rng';
