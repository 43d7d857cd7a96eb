//! Codec benchmarks: what the job engine does per token (write one password-protected file,
//! decode it back) and what a client does per minute (one tokencode).
//!
//! Run briefly with `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`.

#[allow(dead_code)] // shared with the integration tests; the benches use only the builder
#[path = "../tests/common/token.rs"]
mod test_token;

use criterion::{BatchSize, Criterion, black_box, criterion_group, criterion_main};
use time::macros::date;
use tokendist::sdtid::internals::hash_password;
use tokendist::sdtid::{self, BatchHeader, SdtidToken, UserInfo};
use tokendist::secret::SecretString;
use tokendist::token::{Serial, tokencode};

fn token(serial: u64) -> SdtidToken {
    SdtidToken {
        user: UserInfo {
            login: "jdoe".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
        },
        device_serial_number: "S-1-5-21-1004336348-1177238915-682003330-512".into(),
        nickname: "Jane's token".into(),
        ..test_token::sdtid_token(
            Serial::from_value(serial).unwrap(),
            [0x5a; 16],
            date!(2026 - 01 - 01),
            date!(2030 - 12 - 31),
        )
    }
}

fn header() -> BatchHeader {
    BatchHeader {
        origin: "tokendist".into(),
        dest: "ACME Widgets".into(),
        name: "Job 2026-11-29".into(),
    }
}

fn single_file(c: &mut Criterion) {
    let password = SecretString::from("Correct-Horse-42");
    let tokens = [token(123_456_789_012)];
    c.bench_function("password_hash (1000 iterations)", |b| {
        b.iter(|| {
            hash_password(
                black_box(b"Correct-Horse-42"),
                b"ACME Widgets",
                b"Job 2026-11-29",
            )
        })
    });
    c.bench_function("issue one file with a password", |b| {
        b.iter(|| sdtid::write(&header(), black_box(&tokens), Some(&password)).unwrap())
    });
    let file = sdtid::write(&header(), &tokens, Some(&password)).unwrap();
    c.bench_function("decode one file with its password", |b| {
        b.iter(|| {
            sdtid::parse(black_box(file.as_bytes()))
                .unwrap()
                .decrypt(Some(&password))
                .unwrap()
        })
    });
    let plain = sdtid::write(&header(), &tokens, None).unwrap();
    c.bench_function("decode one file without a password", |b| {
        b.iter(|| {
            sdtid::parse(black_box(plain.as_bytes()))
                .unwrap()
                .decrypt(None)
                .unwrap()
        })
    });
    let t = &tokens[0];
    c.bench_function("one tokencode", |b| {
        b.iter(|| {
            tokencode(
                &t.seed,
                &t.serial,
                t.attributes.digits,
                t.attributes.interval,
                Some("1234"),
                black_box(1_700_000_000),
            )
        })
    });
}

fn record_file(c: &mut Criterion) {
    let mut group = c.benchmark_group("10,000-token record file");
    group.sample_size(10);
    let tokens: Vec<SdtidToken> = (0..10_000).map(|i| token(444_000_000_000 + i)).collect();
    let password = SecretString::from("Correct-Horse-42");
    group.bench_function("write", |b| {
        b.iter(|| sdtid::write(&header(), &tokens, Some(&password)).unwrap())
    });
    let file = sdtid::write(&header(), &tokens, Some(&password)).unwrap();
    group.bench_function("parse and decrypt", |b| {
        b.iter_batched(
            || file.clone(),
            |text| {
                sdtid::parse(text.as_bytes())
                    .unwrap()
                    .decrypt(Some(&password))
                    .unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, single_file, record_file);
criterion_main!(benches);
