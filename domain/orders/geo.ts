// Great-circle distance; accurate to well under 0.5% at city scale, which is all a
// service radius needs.
import type { GeoPoint } from './types';

/** Mean Earth radius in kilometres (IUGG). */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

/** Haversine distance between two points in kilometres. */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLng = (b.lng - a.lng) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Point `distanceKm` away from `origin` on `bearingRad` (0 = north), flat-earth approximation fine below ~50 km. */
export function offsetPoint(origin: GeoPoint, distanceKm: number, bearingRad: number): GeoPoint {
  const dLat = (distanceKm * Math.cos(bearingRad)) / (EARTH_RADIUS_KM * RAD);
  const dLng = (distanceKm * Math.sin(bearingRad)) / (EARTH_RADIUS_KM * RAD * Math.cos(origin.lat * RAD));
  return { lat: origin.lat + dLat, lng: origin.lng + dLng };
}
