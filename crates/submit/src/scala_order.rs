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
    // Later duplicates replace the value in place, as `updated` does.
    let mut unique: Vec<(String, T)> = Vec::new();
    for (k, v) in entries {
        match unique.iter_mut().find(|(uk, _)| uk == k) {
            Some(slot) => slot.1 = v.clone(),
            None => unique.push((k.clone(), v.clone())),
        }
    }
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
