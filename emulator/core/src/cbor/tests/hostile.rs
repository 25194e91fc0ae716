//! Hostile input: depth, declared lengths, random and mutated bytes, error texts.

use super::*;

// -- depth ----------------------------------------------------------------

fn nest(open: u8, depth: usize, inner: &[u8], close: &[u8]) -> Vec<u8> {
    let mut v = vec![open; depth];
    v.extend_from_slice(inner);
    for _ in 0..depth {
        v.extend_from_slice(close);
    }
    v
}

#[test]
fn depth_limit_is_exact() {
    let limits = Limits::default();
    assert_eq!(limits.max_depth, 64);
    for (open, inner, close) in [
        (0x81u8, &[0x01u8][..], &[][..]),
        (0x9f, &[0x01], &[0xff]),
        (0xc1, &[0x01], &[]),
        (0xa1, &[0x01, 0x02], &[]), // nested through map values: {0: {0: ...}}
        (0x81, &[0x80], &[]),       // innermost container is empty
        (0x81, &[0xa0], &[]),
    ] {
        let build = |depth: usize| {
            if open == 0xa1 {
                let mut v = Vec::new();
                for _ in 0..depth {
                    v.extend_from_slice(&[0xa1, 0x00]);
                }
                v.extend_from_slice(&[0x01]);
                v
            } else {
                nest(open, depth, inner, close)
            }
        };
        // `inner` adds one level when it is itself a container.
        let extra = usize::from(matches!(inner[0], 0x80 | 0xa0));
        let ok = build(64 - extra);
        let too_deep = build(65 - extra);
        assert!(decode(&ok).is_ok(), "{open:#04x} at the limit");
        assert_eq!(decode(&too_deep), Err(CborError::TooDeep), "{open:#04x}");
        assert!(decode_with(&too_deep, &Limits { max_depth: 65 }).is_ok());
    }
    let zero = Limits { max_depth: 0 };
    assert_eq!(decode_with(&hex("01"), &zero), Ok(int(1)));
    assert_eq!(decode_with(&hex("5f4101ff"), &zero), Ok(bytes(&[1])));
    for h in ["80", "a0", "9fff", "bfff", "c101", "8101"] {
        assert_eq!(decode_with(&hex(h), &zero), Err(CborError::TooDeep), "{h}");
    }
}

#[test]
fn ten_megabytes_of_nesting_is_too_deep() {
    const TEN_MB: usize = 10 * 1024 * 1024;
    for b in [0x9fu8, 0x81, 0xbf, 0xa1, 0xc1, 0xd8] {
        let input = vec![b; TEN_MB];
        assert_eq!(decode(&input), Err(CborError::TooDeep), "{b:#04x}");
    }
    // Alternating tags and arrays count together.
    let input: Vec<u8> = [0xc1u8, 0x9f].iter().copied().cycle().take(TEN_MB).collect();
    assert_eq!(decode(&input), Err(CborError::TooDeep));
    // A huge limit still never recurses: the input simply runs out.
    let input = vec![0x9f; TEN_MB];
    assert_eq!(
        decode_with(&input, &Limits { max_depth: usize::MAX }),
        Err(CborError::UnexpectedEnd { offset: TEN_MB })
    );
}

// -- hostile lengths --------------------------------------------------

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    for h in [
        "5b8000000000000000",   // 2^63-byte byte string
        "7b8000000000000000",   // 2^63-byte text string
        "5bffffffffffffffff00", // 2^64-1 bytes
        "9bffffffffffffffff00", // 2^64-1 elements
        "9b800000000000000001",
        "bbffffffffffffffff0000",   // 2^64-1 entries (2n overflows u64)
        "bb0000000100000000010203", // 2^32 entries, 3 bytes of body
        "ba7fffffff010203",         // 2^31-1 entries, 3 bytes of body
        "bbffffffffffffffff",
        "5f5bffffffffffffffffff", // inside an indefinite string
        "7f7b8000000000000000ff",
    ] {
        let input = hex(h);
        assert!(matches!(decode(&input), Err(CborError::LengthTooLarge { .. })), "{h}: {:?}", decode(&input));
    }
    // Exactly enough bytes for the declared count is accepted...
    assert_eq!(decode(&hex("a20000")), Err(CborError::LengthTooLarge { offset: 0 }));
    assert_eq!(decode(&hex("a2000000")), Err(CborError::LengthTooLarge { offset: 0 }));
    assert_eq!(decode(&hex("a200000019")), Err(CborError::UnexpectedEnd { offset: 4 }));
    assert_eq!(decode(&hex("a200000000")), Ok(map(vec![(int(0), int(0)), (int(0), int(0))])));
    assert_eq!(decode(&hex("830000")), Err(CborError::LengthTooLarge { offset: 0 }));
    // ...and large but honest containers still work.
    let mut big = hex("9a00100000");
    big.extend(std::iter::repeat_n(0xf6, 1 << 20));
    let Ok(Cbor::Array(items)) = decode(&big) else { panic!("big array") };
    assert_eq!(items.len(), 1 << 20);
    let mut big = hex("5a00a00000");
    big.extend(std::iter::repeat_n(0x5a, 10 << 20));
    assert_eq!(decode(&big).map(|v| encode(&v)), Ok(big));
}

#[test]
fn nested_containers_each_capped_at_prealloc_limit() {
    assert_eq!(prealloc(u64::MAX), PREALLOC_LIMIT);
    assert_eq!(prealloc(3), 3);
    // Every level claims as many elements as the input could hold.
    let mut input = Vec::new();
    for _ in 0..64 {
        input.extend_from_slice(&hex("9b0000000000100000"));
    }
    assert!(matches!(decode(&input), Err(CborError::LengthTooLarge { .. })));
    let mut input = Vec::new();
    for _ in 0..63 {
        input.extend_from_slice(&hex("9a000fffff"));
    }
    input.extend(std::iter::repeat_n(0x00, 1 << 20));
    assert!(matches!(decode(&input), Err(CborError::UnexpectedEnd { .. })));
}

// -- random input -----------------------------------------------------

fn iterations(default: usize) -> usize {
    std::env::var("CBOR_FUZZ_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0usize;
    for _ in 0..iterations(5_000) {
        let len = rng.below(64);
        let input: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        ok += usize::from(decode(&input).is_ok());
        check_consistent(&input);
    }
    assert!(ok > 0);
}

#[test]
fn structured_random_bytes_never_panic() {
    // Bytes biased towards heads that open, close and nest things.
    const INTERESTING: &[u8] = &[
        0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x3b, 0x40, 0x41, 0x5f, 0x5b, 0x60, 0x61, 0x62, 0x7f, 0x7b,
        0x80, 0x81, 0x82, 0x9f, 0x9b, 0xa0, 0xa1, 0xbf, 0xbb, 0xc1, 0xd8, 0xdf, 0xf4, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb,
        0xfc, 0xff, 0xc3, 0xe6, 0x80, 0xff,
    ];
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut ok = 0usize;
    for _ in 0..iterations(5_000) {
        let len = rng.below(48);
        let input: Vec<u8> = (0..len)
            .map(|_| if rng.below(4) == 0 { rng.byte() } else { INTERESTING[rng.below(INTERESTING.len())] })
            .collect();
        ok += usize::from(decode(&input).is_ok());
        check_consistent(&input);
    }
    assert!(ok > 0);
}

#[test]
fn mutated_documents_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let seeds: Vec<Vec<u8>> = appendix_a().iter().map(|(h, _, _)| hex(h)).chain([nested_document()]).collect();
    for _ in 0..iterations(5_000) {
        let mut input = seeds[rng.below(seeds.len())].clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(input.len() + 1);
            match rng.below(4) {
                0 if at < input.len() => input[at] = rng.byte(),
                1 if at < input.len() => input[at] ^= 1 << rng.below(8),
                2 => input.insert(at, rng.byte()),
                _ => input.truncate(at),
            }
        }
        let _ = decode(&input);
        check_consistent(&input);
    }
}

#[test]
fn errors_display_clearly() {
    let cases = [
        (CborError::UnexpectedEnd { offset: 3 }, "offset 3"),
        (CborError::TrailingBytes { offset: 9 }, "trailing bytes"),
        (CborError::InvalidUtf8 { offset: 1 }, "UTF-8"),
        (CborError::TooDeep, "maximum depth"),
        (CborError::ReservedAdditionalInfo { offset: 0 }, "reserved"),
        (CborError::InvalidIndefinite { offset: 0 }, "indefinite length"),
        (CborError::InvalidChunk { offset: 0 }, "chunk"),
        (CborError::BreakOutsideIndefinite { offset: 0 }, "break"),
        (CborError::MissingMapValue { offset: 0 }, "without a value"),
        (CborError::LengthTooLarge { offset: 0 }, "exceeds the remaining input"),
        (CborError::InvalidSimple { offset: 0 }, "simple value"),
    ];
    for (err, needle) in cases {
        let msg = err.to_string();
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
        assert!(msg.contains("CBOR") || msg.contains("UTF-8"), "{msg:?}");
    }
}
