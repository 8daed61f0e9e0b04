//! The iteration orders of the JVM collections Spark reads its configuration through.
//!
//! Several parts of the driver pod are lists whose order comes from hash-based collections
//! rather than from the command line: the `spark.kubernetes.driverEnv.*` variables, the
//! secret-backed variables and volumes, and the user volumes. `SparkConf.getAllWithPrefix`
//! iterates its entries through a Scala `mutable.HashSet` of `(key, value)` tuples (table of
//! 16 buckets, doubled at a load factor of 0.75, buckets sorted by hash), and the result goes
//! through `toMap`, which keeps insertion order up to four entries and otherwise iterates a
//! CHAMP trie (`immutable.HashMap`). Reproducing spark-submit's objects exactly means
//! reproducing those orders, from the same hash functions (Java `String.hashCode`, Scala's
//! MurmurHash3 `productHash`).

/// Which Scala's collections Spark was built with: the iteration orders differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalaLine {
    /// Spark 3.5: `mutable.HashSet` is an open-addressing table, `HashMap` a hash trie.
    V2_12,
    /// Spark 4: `mutable.HashSet` chains sorted buckets, `HashMap` is a CHAMP trie.
    V2_13,
}

/// `spark.kubernetes.driverEnv.*`-style entries in the order `getAllWithPrefix(..).toMap`
/// iterates them, given the whole configuration `all` (in the order it was set).
pub fn prefixed_order(
    all: &[(&str, &str)],
    prefix: &str,
    line: ScalaLine,
) -> Vec<(String, String)> {
    let ordered = match line {
        ScalaLine::V2_13 => spark_conf_order(all, all.len()),
        ScalaLine::V2_12 => spark_conf_order_212(all),
    };
    let stripped: Vec<(String, String)> = ordered
        .into_iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(prefix)
                .map(|s| (s.to_string(), v.to_string()))
        })
        .collect();
    match line {
        ScalaLine::V2_13 => scala_map_order(&stripped),
        ScalaLine::V2_12 => scala212_map_order(&stripped),
    }
}

/// Java's `String.hashCode` (over UTF-16 code units).
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
}

fn mix_last(hash: u32, data: u32) -> u32 {
    let k = data
        .wrapping_mul(0xcc9e_2d51)
        .rotate_left(15)
        .wrapping_mul(0x1b87_3593);
    hash ^ k
}

fn mix(hash: u32, data: u32) -> u32 {
    mix_last(hash, data)
        .rotate_left(13)
        .wrapping_mul(5)
        .wrapping_add(0xe654_6b64)
}

fn avalanche(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Scala 2.13's `("a", "b").##`: MurmurHash3 `productHash` with the product prefix.
pub fn tuple2_hash(a: &str, b: &str) -> i32 {
    const PRODUCT_SEED: u32 = 0xcafe_babe;
    let mut h = mix(PRODUCT_SEED, java_string_hash("Tuple2") as u32);
    h = mix(h, java_string_hash(a) as u32);
    h = mix(h, java_string_hash(b) as u32);
    avalanche(h ^ 2) as i32
}

/// The order in which `SparkConf.getAll` (and so `getAllWithPrefix`) returns `entries`: a
/// Scala 2.13 `mutable.HashSet` of tuples, filled one entry at a time from 16 buckets.
/// `total` is the number of entries in the whole configuration, which sets the table size.
pub fn spark_conf_order<'a>(
    entries: &[(&'a str, &'a str)],
    total: usize,
) -> Vec<(&'a str, &'a str)> {
    // The table doubles when an insertion would reach 3/4 of its length.
    let mut len = 16usize;
    while total >= len * 3 / 4 {
        len *= 2;
    }
    let mut keyed: Vec<(usize, i32, (&str, &str))> = entries
        .iter()
        .map(|&(k, v)| {
            let h = tuple2_hash(k, v) as u32;
            let improved = (h ^ (h >> 16)) as i32;
            ((improved as u32 as usize) & (len - 1), improved, (k, v))
        })
        .collect();
    keyed.sort_by_key(|&(bucket, hash, _)| (bucket, hash));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// Scala 2.12's `("a", "b").##`: MurmurHash3 `productHash`, without the product prefix.
fn tuple2_hash_212(a: &str, b: &str) -> u32 {
    let mut h = mix(0xcafe_babe, java_string_hash(a) as u32);
    h = mix(h, java_string_hash(b) as u32);
    avalanche(h ^ 2)
}

/// The order of a Java `ConcurrentHashMap<String, _>` (SparkConf's settings): by bin of the
/// spread hash, then insertion order. The table starts at 16 bins and doubles at 3/4 full.
fn concurrent_hash_map_order<'a>(entries: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut n = 16usize;
    while entries.len() >= n * 3 / 4 {
        n *= 2;
    }
    let mut keyed: Vec<(usize, usize, (&str, &str))> = entries
        .iter()
        .enumerate()
        .map(|(i, &(k, v))| {
            let h = java_string_hash(k) as u32;
            (
                ((h ^ (h >> 16)) & 0x7fff_ffff) as usize & (n - 1),
                i,
                (k, v),
            )
        })
        .collect();
    keyed.sort_by_key(|&(bin, i, _)| (bin, i));
    keyed.into_iter().map(|(_, _, e)| e).collect()
}

/// Scala 2.12's `byteswap32`.
fn byteswap32(v: u32) -> u32 {
    v.wrapping_mul(0x9e37_75cd)
        .swap_bytes()
        .wrapping_mul(0x9e37_75cd)
}

/// `SparkConf.getAll` on Scala 2.12: the settings, in `ConcurrentHashMap` order, added to a
/// `mutable.HashSet` (a `FlatHashTable`: 32 slots, linear probing, doubled at 45% full,
/// slot taken from the top bits of a byte-swapped, rotated hash), read back in slot order.
pub fn spark_conf_order_212<'a>(entries: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    fn index(hash: u32, len: usize) -> usize {
        let ones = (len - 1) as u32;
        let bits = ones.count_ones();
        let rotated = byteswap32(hash).rotate_right(bits % 32);
        ((rotated >> (32 - bits)) & ones) as usize
    }
    fn add<'a>(table: &mut [Option<(&'a str, &'a str)>], e: (&'a str, &'a str)) {
        let len = table.len();
        let mut h = index(tuple2_hash_212(e.0, e.1), len);
        while table[h].is_some() {
            h = (h + 1) % len;
        }
        table[h] = Some(e);
    }
    let mut table: Vec<Option<(&str, &str)>> = vec![None; 32];
    let mut count = 0;
    for e in concurrent_hash_map_order(entries) {
        add(&mut table, e);
        count += 1;
        if count >= table.len() * 450 / 1000 {
            let old = std::mem::replace(&mut table, vec![None; 0]);
            table = vec![None; old.len() * 2];
            for x in old.into_iter().flatten() {
                add(&mut table, x);
            }
        }
    }
    table.into_iter().flatten().collect()
}

/// `toMap` on Scala 2.12: insertion order up to four entries, else the hash trie's order
/// (slots of 5 hash bits from the lowest, leaves and sub-tries interleaved by slot).
pub fn scala212_map_order<T: Clone>(entries: &[(String, T)]) -> Vec<(String, T)> {
    let mut unique = updated(entries);
    if unique.len() <= 4 {
        return unique;
    }
    // Reversing the bit order of each 5-bit chunk sequence is the same as comparing the
    // chunks from the lowest one up.
    let chunks = |h: u32| -> [u32; 7] { std::array::from_fn(|i| (h >> (5 * i)) & 0x1f) };
    unique.sort_by_key(|(k, _)| chunks(improve(java_string_hash(k))));
    unique
}

/// The entries of `entries.toMap` in insertion order: a later duplicate key replaces the
/// value in place, as `updated` does.
fn updated<T: Clone>(entries: &[(String, T)]) -> Vec<(String, T)> {
    let mut unique: Vec<(String, T)> = Vec::new();
    for (k, v) in entries {
        match unique.iter_mut().find(|(uk, _)| uk == k) {
            Some(slot) => slot.1 = v.clone(),
            None => unique.push((k.clone(), v.clone())),
        }
    }
    unique
}

/// Scala 2.13's `Hashing.improve`, applied to keys of `immutable.HashMap`.
fn improve(hcode: i32) -> u32 {
    let mut h = hcode.wrapping_add(!(hcode.wrapping_shl(9)));
    h ^= ((h as u32) >> 14) as i32;
    h = h.wrapping_add(h.wrapping_shl(4));
    (h ^ ((h as u32) >> 10) as i32) as u32
}

/// The iteration order of `entries.toMap` for string keys: insertion order up to four entries
/// (`Map1`..`Map4`), the CHAMP trie's order beyond (each node's own entries by 5-bit hash
/// slot, then its sub-nodes by slot, depth first).
pub fn scala_map_order<T: Clone>(entries: &[(String, T)]) -> Vec<(String, T)> {
    let unique = updated(entries);
    if unique.len() <= 4 {
        return unique;
    }
    let hashed: Vec<(u32, (String, T))> = unique
        .into_iter()
        .map(|(k, v)| (improve(java_string_hash(&k)), (k, v)))
        .collect();
    let mut out = Vec::with_capacity(hashed.len());
    champ_order(hashed, 0, &mut out);
    out
}

fn champ_order<T>(entries: Vec<(u32, (String, T))>, shift: u32, out: &mut Vec<(String, T)>) {
    if shift >= 32 {
        // Full hash collision: a collision node keeps insertion order.
        out.extend(entries.into_iter().map(|(_, e)| e));
        return;
    }
    let mut slots: Vec<Vec<(u32, (String, T))>> = (0..32).map(|_| Vec::new()).collect();
    for e in entries {
        let slot = ((e.0 >> shift) & 0x1f) as usize;
        slots[slot].push(e);
    }
    let mut nodes = Vec::new();
    for slot in slots {
        if slot.len() == 1 {
            out.extend(slot.into_iter().map(|(_, e)| e));
        } else if !slot.is_empty() {
            nodes.push(slot);
        }
    }
    for node in nodes {
        champ_order(node, shift + 5, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hashes() {
        // Values from the JVM.
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("Tuple2"), -1_778_623_094);
        assert_eq!(java_string_hash("hello"), 99_162_322);
    }

    #[test]
    fn spark_conf_order_matches_spark_submit() {
        // Observed in the pods spark-submit 4.3.0 creates (conformance cases 13 and 15).
        let env = [
            ("spark.kubernetes.driverEnv.FOO", "bar"),
            ("spark.kubernetes.driverEnv.ANOTHER", "with space"),
            ("spark.kubernetes.driverEnv.AAA", "first"),
        ];
        let got: Vec<&str> = spark_conf_order(&env, 11).iter().map(|e| e.1).collect();
        assert_eq!(got, ["with space", "bar", "first"]);
        let refs = [
            (
                "spark.kubernetes.driver.secretKeyRef.DB_PASS",
                "db-creds:password",
            ),
            ("spark.kubernetes.driver.secretKeyRef.API_KEY", "api:key"),
        ];
        let got: Vec<&str> = spark_conf_order(&refs, 10).iter().map(|e| e.1).collect();
        assert_eq!(got, ["db-creds:password", "api:key"]);
    }

    #[test]
    fn scala_212_orders_match_spark_35() {
        // Observed in the pods spark-submit 3.5.9 creates (conformance cases 13 and 14):
        // the settings spark-submit had, then the prefixed ones in the order Spark used.
        let conf = [
            ("spark.kubernetes.driverEnv.FOO", "bar"),
            ("spark.kubernetes.driverEnv.ANOTHER", "with space"),
            ("spark.kubernetes.driverEnv.AAA", "first"),
            ("spark.master", "k8s://http://<API>"),
            ("spark.submit.deployMode", "cluster"),
        ];
        let got: Vec<String> =
            prefixed_order(&conf, "spark.kubernetes.driverEnv.", ScalaLine::V2_12)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
        assert_eq!(got.len(), 3);
        let secrets = [
            (
                "spark.kubernetes.driver.secrets.db-creds",
                "/etc/secrets/db",
            ),
            ("spark.kubernetes.driver.secrets.tls", "/etc/tls"),
        ];
        let got: Vec<String> = prefixed_order(
            &secrets,
            "spark.kubernetes.driver.secrets.",
            ScalaLine::V2_12,
        )
        .into_iter()
        .map(|(k, _)| k)
        .collect();
        assert_eq!(got, ["tls", "db-creds"]);
    }

    #[test]
    fn small_maps_keep_insertion_order() {
        let e: Vec<(String, u8)> = ["z", "a", "m", "z"]
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i as u8))
            .collect();
        assert_eq!(
            scala_map_order(&e),
            vec![("z".into(), 3), ("a".into(), 1), ("m".into(), 2)]
        );
    }

    #[test]
    fn large_maps_follow_the_trie() {
        let keys = ["a", "b", "c", "d", "e", "f"];
        let e: Vec<(String, ())> = keys.iter().map(|k| (k.to_string(), ())).collect();
        let got = scala_map_order(&e);
        assert_eq!(got.len(), 6);
        // Deterministic and independent of insertion order, as a CHAMP trie is.
        let mut rev = e.clone();
        rev.reverse();
        assert_eq!(scala_map_order(&rev), got);
    }
}
