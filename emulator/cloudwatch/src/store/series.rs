//! One metric's points, in time order, in chunks.
//!
//! A series is a run of chunks: every chunk but the newest sits in a B-tree keyed by the
//! time of its first point, the newest (`last`) apart, where data that arrives in time
//! order lands. A write finds its chunk in O(log n) and moves at most [`CHUNK`] points
//! inside it, so its cost does not grow with the series: an append is O(1) amortised,
//! an out-of-order or replayed datum O(log n). Reads are range scans over consecutive
//! chunks.
//!
//! Invariants (checked by `check` in the tests):
//! - the chunks, in key order then `last`, hold the points sorted by time, points of one
//!   time in the order they arrived;
//! - all points of one timestamp live in one chunk, so chunk keys are strictly
//!   increasing and a timestamp's newest point goes at the end of its run;
//! - a chunk holds at most [`CHUNK`] points, unless all its points share one timestamp
//!   (a replayed datum only ever appends to such a chunk);
//! - `last` is empty only when the series is.
//!
//! Memory: a point is 16 bytes; a chunk grows by a quarter (at least 16 points) up to
//! [`CHUNK`], so data put in order fills its chunks exactly and the newest chunk holds at
//! most a quarter of slack; a split leaves both halves without slack.

use std::collections::BTreeMap;

/// Points a chunk holds before it splits: small enough that moving a chunk's points
/// is cheap (8 KiB), large enough that the B-tree's bookkeeping is noise per point.
pub const CHUNK: usize = 512;

/// The point was put with `StorageResolution` 1 (and has not been rolled up yet).
pub const HIGH_RES: u8 = 1;
/// `value` is the index of a [`Set`] in the series' side table.
pub const IN_SET: u8 = 2;

/// One stored datum: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The value, or (with [`IN_SET`]) the side-table index as `f64` bits.
    pub value: f64,
    /// Epoch seconds.
    pub secs: u32,
    /// Milliseconds within the second.
    pub millis: u16,
    /// Index into [`super::UNITS`].
    pub unit: u8,
    pub flags: u8,
}

const _: () = assert!(std::mem::size_of::<Point>() == 16);

impl Point {
    pub fn time_ms(&self) -> i64 {
        i64::from(self.secs) * 1000 + i64::from(self.millis)
    }

    pub fn high_res(&self) -> bool {
        self.flags & HIGH_RES != 0
    }
}

/// What a datum carried when it was more than one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Set {
    /// `Values` with their `Counts`.
    Weighted(Box<[(f64, f64)]>),
    /// `StatisticValues`, or points rolled up into a coarser retention tier.
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

/// A datum as the statistics see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sample<'a> {
    One(f64),
    Weighted(&'a [(f64, f64)]),
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

/// What PutMetricData hands the store for one datum.
#[derive(Debug, Clone, PartialEq)]
pub enum NewSample {
    One(f64),
    Weighted(Vec<(f64, f64)>),
    Stats { count: f64, sum: f64, min: f64, max: f64 },
}

#[derive(Debug, Default)]
pub struct Series {
    /// Every chunk but the newest, keyed by the time (epoch ms) of its first point.
    sealed: BTreeMap<i64, Vec<Point>>,
    /// The newest chunk.
    last: Vec<Point>,
    len: usize,
    /// The time of the oldest high-resolution point, which a roll-up turns into a
    /// standard one once it is three hours old.
    oldest_high_res_ms: Option<i64>,
    pub(super) sets: Vec<Set>,
    /// When data was last put (epoch ms), for `RecentlyActive` and the two-week listing window.
    pub last_put_ms: i64,
    /// When (nimbus clock, epoch ms) the series was last rolled up.
    pub(super) rolled_at_ms: i64,
}

/// Where a point goes.
enum Target {
    Last,
    /// The last sealed chunk that starts at or before the point.
    Sealed,
    /// Before every point, in the first sealed chunk.
    FrontOfSealed,
}

impl Series {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every point, in time order.
    pub fn points(&self) -> impl Iterator<Item = &Point> + '_ {
        self.sealed.values().chain(std::iter::once(&self.last)).flatten()
    }

    /// The points with `start_ms <= time < end_ms`, in time order.
    pub fn range(&self, start_ms: i64, end_ms: i64) -> impl Iterator<Item = &Point> + '_ {
        // The chunk holding `start_ms`'s place, then every chunk that starts before the end.
        let from = self.sealed.range(..=start_ms).next_back().map_or(i64::MIN, |(k, _)| *k);
        let sealed = self.sealed.range(from..end_ms.max(from)).map(|(_, c)| c.as_slice());
        let last = self.last.first().is_some_and(|p| p.time_ms() < end_ms).then_some(self.last.as_slice());
        sealed.chain(last).flat_map(move |c| {
            let a = c.partition_point(|p| p.time_ms() < start_ms);
            let b = c.partition_point(|p| p.time_ms() < end_ms);
            &c[a..b.max(a)]
        })
    }

    /// The first point at or after `ms`.
    pub fn first_at_or_after(&self, ms: i64) -> Option<&Point> {
        self.range(ms, i64::MAX).next()
    }

    /// The time of the oldest point.
    pub fn first_time_ms(&self) -> Option<i64> {
        self.sealed.keys().next().copied().or_else(|| self.last.first().map(Point::time_ms))
    }

    pub fn sample(&self, point: &Point) -> Sample<'_> {
        if point.flags & IN_SET == 0 {
            return Sample::One(point.value);
        }
        match self.sets.get(point.value.to_bits() as usize) {
            Some(Set::Weighted(values)) => Sample::Weighted(values),
            Some(Set::Stats { count, sum, min, max }) => {
                Sample::Stats { count: *count, sum: *sum, min: *min, max: *max }
            }
            None => Sample::Stats { count: 0.0, sum: 0.0, min: 0.0, max: 0.0 },
        }
    }

    pub fn push(&mut self, time_ms: i64, unit: u8, high_res: bool, sample: NewSample) {
        let mut flags = if high_res { HIGH_RES } else { 0 };
        let value = match sample {
            NewSample::One(v) => v,
            NewSample::Weighted(values) if values.len() == 1 && values[0].1 == 1.0 => values[0].0,
            NewSample::Weighted(values) => {
                flags |= IN_SET;
                self.add_set(Set::Weighted(values.into_boxed_slice()))
            }
            NewSample::Stats { count, sum, min, max } => {
                flags |= IN_SET;
                self.add_set(Set::Stats { count, sum, min, max })
            }
        };
        let secs = time_ms.div_euclid(1000).clamp(0, i64::from(u32::MAX)) as u32;
        let millis = time_ms.rem_euclid(1000) as u16;
        self.insert(Point { value, secs, millis, unit, flags });
    }

    /// Puts a point with a set index or value already decided (snapshots, roll-ups).
    pub(super) fn insert(&mut self, point: Point) {
        self.len += 1;
        let t = point.time_ms();
        if point.high_res() {
            self.oldest_high_res_ms = Some(self.oldest_high_res_ms.map_or(t, |o| o.min(t)));
        }
        match self.target(t) {
            Target::Last => self.insert_last(point),
            Target::Sealed => {
                let Some((_, chunk)) = self.sealed.range_mut(..=t).next_back() else { return };
                insert_sorted(chunk, point);
                if let Some(tail) = split(chunk) {
                    self.sealed.insert(tail[0].time_ms(), tail);
                }
            }
            Target::FrontOfSealed => {
                let Some((key, mut chunk)) = self.sealed.pop_first() else { return };
                if chunk.len() >= CHUNK {
                    self.sealed.insert(key, chunk);
                    self.sealed.insert(t, new_chunk(point));
                } else {
                    reserve_one(&mut chunk);
                    chunk.insert(0, point);
                    self.sealed.insert(t, chunk);
                }
            }
        }
    }

    fn target(&self, t: i64) -> Target {
        if self.sealed.is_empty() || self.last.first().is_some_and(|p| p.time_ms() <= t) {
            return Target::Last;
        }
        if self.sealed.first_key_value().is_some_and(|(first, _)| *first <= t) {
            Target::Sealed
        } else {
            Target::FrontOfSealed
        }
    }

    fn insert_last(&mut self, point: Point) {
        let t = point.time_ms();
        let newest = self.last.last().map(Point::time_ms);
        if self.last.len() >= CHUNK {
            if newest.is_some_and(|n| n < t) {
                // In time order into a full chunk: seal it as it is.
                let full = std::mem::replace(&mut self.last, new_chunk(point));
                self.sealed.insert(full[0].time_ms(), full);
                return;
            }
            if self.last.first().is_some_and(|p| t < p.time_ms()) {
                // Before everything (no sealed chunk): a chunk of its own.
                self.sealed.insert(t, new_chunk(point));
                return;
            }
        }
        insert_sorted(&mut self.last, point);
        if let Some(tail) = split(&mut self.last) {
            let head = std::mem::replace(&mut self.last, tail);
            self.sealed.insert(head[0].time_ms(), head);
        }
    }

    fn add_set(&mut self, set: Set) -> f64 {
        self.sets.push(set);
        f64::from_bits((self.sets.len() - 1) as u64)
    }

    /// Rolls up points as AWS's retention tiers do (see [`super::retention`]); `now_ms`
    /// is the clock. Cheap when nothing has aged into a new tier since the last call.
    pub fn roll_up(&mut self, now_ms: i64) {
        use super::retention::{HIGH_RES_MS, MINUTE_TIER_MS};
        let Some(first) = self.first_time_ms() else { return };
        // At most once a minute of clock time, and only when a point is old enough to
        // change: a high-resolution one past three hours, any past fifteen days.
        let high_res_aged = self.oldest_high_res_ms.is_some_and(|t| t < now_ms - HIGH_RES_MS);
        if now_ms - self.rolled_at_ms < 60_000 || !(high_res_aged || first < now_ms - MINUTE_TIER_MS) {
            return;
        }
        super::retention::roll_up(self, now_ms);
        self.rolled_at_ms = now_ms;
    }

    /// Replaces the points and side table (roll-ups build a new series and take its parts).
    pub(super) fn take_points_from(&mut self, other: Series) {
        self.sealed = other.sealed;
        self.last = other.last;
        self.len = other.len;
        self.oldest_high_res_ms = other.oldest_high_res_ms;
        self.sets = other.sets;
    }

    /// Bytes this series holds for its points (chunk capacities, the B-tree's entries,
    /// the side table), for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        let point = std::mem::size_of::<Point>();
        self.sealed.values().map(|c| c.capacity() * point).sum::<usize>()
            + self.sealed.len() * std::mem::size_of::<(i64, Vec<Point>)>()
            + self.last.capacity() * point
            + self.sets.capacity() * std::mem::size_of::<Set>()
            + self
                .sets
                .iter()
                .map(|s| match s {
                    Set::Weighted(v) => v.len() * 16,
                    Set::Stats { .. } => 0,
                })
                .sum::<usize>()
    }
}

fn new_chunk(point: Point) -> Vec<Point> {
    let mut chunk = Vec::with_capacity(16);
    chunk.push(point);
    chunk
}

/// Room for one more point: a quarter more (at least 16), not past [`CHUNK`] while
/// the chunk is below it.
fn reserve_one(chunk: &mut Vec<Point>) {
    let len = chunk.len();
    if len < chunk.capacity() {
        return;
    }
    let step = (len / 4).max(16);
    chunk.reserve_exact(if len < CHUNK { step.min(CHUNK - len) } else { step });
}

/// Inserts after the points of the same time (or earlier).
fn insert_sorted(chunk: &mut Vec<Point>, point: Point) {
    let t = point.time_ms();
    // Data mostly arrives in time order: check the end first.
    let at = if chunk.last().is_none_or(|p| p.time_ms() <= t) { chunk.len() } else { upper_bound(chunk, t) };
    reserve_one(chunk);
    chunk.insert(at, point);
}

/// The index of the first point later than `t` in a sorted chunk whose last point is
/// later than `t`. Points within a chunk are usually spread evenly in time, so the
/// search starts where `t` would sit if they were, and gallops from there: a cold chunk
/// costs a few cache lines rather than a binary search's dozen.
fn upper_bound(chunk: &[Point], t: i64) -> usize {
    let n = chunk.len();
    let (first, last) = (chunk[0].time_ms(), chunk[n - 1].time_ms());
    if t < first {
        return 0;
    }
    let guess = ((i128::from(t - first) * (n as i128 - 1)) / i128::from((last - first).max(1))) as usize;
    let guess = guess.min(n - 1);
    // Bracket the answer in [lo, hi), doubling the step away from the guess.
    let (mut lo, mut hi);
    if chunk[guess].time_ms() <= t {
        lo = guess + 1;
        let mut step = 1;
        hi = lo;
        while hi < n && chunk[hi].time_ms() <= t {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        hi = hi.min(n);
    } else {
        hi = guess;
        let mut step = 1;
        lo = hi;
        while lo > 0 && chunk[lo - 1].time_ms() > t {
            hi = lo - 1;
            lo = lo.saturating_sub(step);
            step *= 2;
        }
    }
    lo + chunk[lo..hi].partition_point(|p| p.time_ms() <= t)
}

/// Splits a chunk that grew past [`CHUNK`] at the timestamp boundary nearest its
/// middle, leaving the head in place (without slack) and returning the tail; a chunk of
/// one timestamp stays whole.
fn split(chunk: &mut Vec<Point>) -> Option<Vec<Point>> {
    let len = chunk.len();
    if len <= CHUNK || chunk[0].time_ms() == chunk[len - 1].time_ms() {
        return None;
    }
    let mid = len / 2;
    let t = chunk[mid].time_ms();
    // The run of `t` around the middle is [lo, hi); one of its ends is a boundary.
    let lo = chunk.partition_point(|p| p.time_ms() < t);
    let hi = chunk.partition_point(|p| p.time_ms() <= t);
    let at = if lo == 0 || (hi < len && hi - mid < mid - lo) { hi } else { lo };
    let tail = chunk.split_off(at);
    chunk.shrink_to_fit();
    Some(tail)
}

#[cfg(test)]
impl Series {
    /// Asserts the invariants in this module's documentation.
    pub(super) fn check(&self) {
        let chunks: Vec<&Vec<Point>> = self.sealed.values().chain(std::iter::once(&self.last)).collect();
        for (key, chunk) in &self.sealed {
            assert!(!chunk.is_empty(), "an empty sealed chunk");
            assert_eq!(*key, chunk[0].time_ms(), "a chunk's key is its first time");
        }
        assert!(self.sealed.is_empty() || !self.last.is_empty(), "last empty while sealed chunks exist");
        let mut previous: Option<i64> = None;
        for chunk in chunks.iter().filter(|c| !c.is_empty()) {
            let single_run = chunk[0].time_ms() == chunk[chunk.len() - 1].time_ms();
            assert!(chunk.len() <= CHUNK || single_run, "a mixed chunk of {} points", chunk.len());
            assert!(previous.is_none_or(|p| p < chunk[0].time_ms()), "a timestamp spans two chunks");
            assert!(chunk.windows(2).all(|w| w[0].time_ms() <= w[1].time_ms()), "a chunk out of order");
            previous = Some(chunk[chunk.len() - 1].time_ms());
        }
        assert_eq!(self.points().count(), self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query;
    use crate::statistics::Stat;
    use crate::store::UNIT_NONE;

    /// SplitMix64: a small deterministic generator for the property tests.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn shuffle<T>(&mut self, v: &mut [T]) {
            for i in (1..v.len()).rev() {
                v.swap(i, self.below(i as u64 + 1) as usize);
            }
        }
    }

    fn times(s: &Series) -> Vec<i64> {
        s.points().map(Point::time_ms).collect()
    }

    fn one(s: &mut Series, t: i64, v: f64) {
        s.push(t, UNIT_NONE, false, NewSample::One(v));
        s.check();
    }

    #[test]
    fn in_order_data_fills_chunks_exactly() {
        let mut s = Series::default();
        for i in 0..(3 * CHUNK as i64 + 10) {
            s.push(i * 1000, UNIT_NONE, false, NewSample::One(i as f64));
        }
        s.check();
        assert_eq!(s.sealed.len(), 3);
        assert!(s.sealed.values().all(|c| c.len() == CHUNK && c.capacity() == CHUNK));
        assert_eq!(s.last.len(), 10);
        assert_eq!(s.len(), 3 * CHUNK + 10);
    }

    #[test]
    fn reversed_data_stays_sorted_in_full_chunks() {
        let mut s = Series::default();
        let n = 5 * CHUNK as i64;
        for i in (0..n).rev() {
            s.push(i * 10, UNIT_NONE, false, NewSample::One(i as f64));
        }
        s.check();
        assert_eq!(times(&s), (0..n).map(|i| i * 10).collect::<Vec<_>>());
        // Each new oldest point opens a chunk once the first one is full: chunks fill exactly.
        assert_eq!(s.sealed.len(), 4);
        assert!(s.sealed.values().chain(std::iter::once(&s.last)).all(|c| c.len() == CHUNK));
    }

    #[test]
    fn a_replayed_timestamp_keeps_its_run_in_one_chunk_in_arrival_order() {
        let mut s = Series::default();
        for i in 0..100 {
            one(&mut s, i * 1000, 0.0);
        }
        // 3,000 replays of 20 timestamps: runs grow past a chunk and stay whole.
        for r in 0..3000 {
            for i in 0..20 {
                s.push(i * 5000, UNIT_NONE, false, NewSample::One(f64::from(r)));
            }
        }
        s.check();
        assert_eq!(s.len(), 100 + 60_000);
        let run: Vec<f64> = s.range(5000, 5001).map(|p| p.value).collect();
        assert_eq!(run.len(), 3001, "the original point and 3,000 replays");
        assert_eq!(run[0], 0.0);
        assert!(run[1..].windows(2).all(|w| w[0] <= w[1]), "replays in arrival order");
        // A point before a huge run of the first timestamp gets a chunk of its own.
        let mut t = Series::default();
        for _ in 0..(2 * CHUNK) {
            t.push(7000, UNIT_NONE, false, NewSample::One(1.0));
        }
        one(&mut t, 3000, 2.0);
        one(&mut t, 9000, 3.0);
        one(&mut t, 7000, 4.0);
        assert_eq!(t.points().next().map(Point::time_ms), Some(3000));
        assert_eq!(t.range(7000, 7001).last().map(|p| p.value), Some(4.0));
    }

    #[test]
    fn the_galloping_search_finds_what_a_binary_search_finds() {
        let mut rng = Rng(11);
        for _ in 0..300 {
            let n = 1 + rng.below(600) as usize;
            // Evenly spread, clustered, or full of duplicates.
            let spread = [10u64, 1000, 1_000_000][rng.below(3) as usize];
            let mut times: Vec<i64> = (0..n).map(|_| rng.below(spread) as i64).collect();
            times.sort();
            let chunk: Vec<Point> = times
                .iter()
                .map(|t| Point { value: 0.0, secs: (*t / 1000) as u32, millis: (*t % 1000) as u16, unit: 0, flags: 0 })
                .collect();
            let last = chunk[n - 1].time_ms();
            for _ in 0..50 {
                let t = rng.below(last as u64 + 1) as i64 - 1;
                if t >= last {
                    continue;
                }
                assert_eq!(upper_bound(&chunk, t), chunk.partition_point(|p| p.time_ms() <= t), "t {t} in {times:?}");
            }
        }
    }

    #[test]
    fn ranges_cross_chunks() {
        let mut s = Series::default();
        let mut rng = Rng(7);
        let mut all: Vec<i64> = (0..4000).map(|_| rng.below(100_000) as i64).collect();
        for t in &all {
            s.push(*t, UNIT_NONE, false, NewSample::One(1.0));
        }
        s.check();
        all.sort();
        for _ in 0..200 {
            let a = rng.below(110_000) as i64 - 5000;
            let b = a + rng.below(30_000) as i64 - 2000;
            let want: Vec<i64> = all.iter().copied().filter(|t| *t >= a && *t < b).collect();
            assert_eq!(s.range(a, b).map(Point::time_ms).collect::<Vec<_>>(), want, "[{a}, {b})");
            assert_eq!(s.first_at_or_after(a).map(Point::time_ms), all.iter().copied().find(|t| *t >= a));
        }
    }

    /// Any order of arrival gives the points, and so every statistic, that time order
    /// gives (values are multiples of a quarter, so sums are exact in any order).
    #[test]
    fn random_insertion_orders_give_the_statistics_of_sorted_ones() {
        let now: i64 = 1_000 * 86_400_000;
        let start = now - 3 * 3_600_000;
        for seed in 0..12u64 {
            let mut rng = Rng(seed);
            let n = 200 + rng.below(3000) as usize;
            // Few distinct times make long runs of duplicates; many make scattered ones.
            let spread = [30u64, 600, 10_800][seed as usize % 3];
            let data: Vec<(i64, u8, bool, f64)> = (0..n)
                .map(|_| {
                    let t = start + rng.below(spread) as i64 * 1000 + rng.below(1000) as i64;
                    let unit = if rng.below(4) == 0 { 14 } else { UNIT_NONE };
                    (t, unit, rng.below(3) == 0, rng.below(400) as f64 * 0.25 - 20.0)
                })
                .collect();
            let mut sorted = data.clone();
            sorted.sort_by_key(|d| d.0);
            let mut shuffled = data.clone();
            rng.shuffle(&mut shuffled);
            let build = |rows: &[(i64, u8, bool, f64)]| {
                let mut s = Series::default();
                for (t, unit, high_res, v) in rows {
                    s.push(*t, *unit, *high_res, NewSample::One(*v));
                }
                s.check();
                s
            };
            let (a, b) = (build(&sorted), build(&shuffled));
            let key = |s: &Series| {
                let mut v: Vec<(i64, u8, u8, u64)> =
                    s.points().map(|p| (p.time_ms(), p.unit, p.flags, p.value.to_bits())).collect();
                v.sort();
                v
            };
            assert_eq!(key(&a), key(&b), "seed {seed}: the same points");
            let stats = ["SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "p99", "tm90", "IQM"]
                .map(|s| Stat::parse(s).unwrap());
            for period in [1, 10, 60, 300] {
                for split_units in [false, true] {
                    let end = start + 10_800_000;
                    let mut pa = query::periods(&a, start, end, period, None, split_units, true, now);
                    let mut pb = query::periods(&b, start, end, period, None, split_units, true, now);
                    assert_eq!(pa.len(), pb.len(), "seed {seed} period {period}");
                    for ((ka, agg_a), (kb, agg_b)) in pa.iter_mut().zip(pb.iter_mut()) {
                        assert_eq!(ka, kb);
                        for stat in &stats {
                            assert_eq!(agg_a.get(stat), agg_b.get(stat), "seed {seed} period {period} {stat:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn memory_stays_within_a_quarter_of_slack() {
        let mut rng = Rng(3);
        let mut s = Series::default();
        for _ in 0..200_000 {
            s.push(rng.below(86_400_000) as i64, UNIT_NONE, false, NewSample::One(1.0));
        }
        s.check();
        let per_point = s.heap_bytes() as f64 / s.len() as f64;
        assert!(per_point <= 16.0 * 1.25 + 0.5, "{per_point} bytes a point in random order");
        let mut s = Series::default();
        for i in 0..200_000 {
            s.push(i, UNIT_NONE, false, NewSample::One(1.0));
        }
        let per_point = s.heap_bytes() as f64 / s.len() as f64;
        assert!(per_point <= 16.5, "{per_point} bytes a point in time order");
    }
}
