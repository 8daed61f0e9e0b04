//! `conformance-normalize RECORDING.jsonl`: prints the normalised form of requests recorded by
//! `kube-double --record` (used by `conformance/record.sh`).

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: conformance-normalize RECORDING.jsonl"))?;
    let text = std::fs::read_to_string(&path)?;
    let requests = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<Vec<serde_json::Value>, _>>()?;
    let normalized = sparkplane_conformance::normalize(&requests)?;
    println!("{}", serde_json::to_string_pretty(&normalized)?);
    Ok(())
}
