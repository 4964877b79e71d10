//! Codec throughput: type-2 routes decoded / encoded per second on one core.
//! Run: `cargo bench -p evpnd-bench --bench wire`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use evpnd_bench::{mac_ip_route, packed_updates};
use evpnd_wire::framing::decode_frame;
use evpnd_wire::message::{Message, decode_message};
use evpnd_wire::update::Update;
use evpnd_wire::{Context, header};

const ROUTES: u32 = 100_000;

fn bench(c: &mut Criterion) {
    let ctx = Context::default();
    let mut g = c.benchmark_group("type2");
    g.throughput(Throughput::Elements(u64::from(ROUTES)));
    g.sample_size(20);

    for (name, max) in [("4k", header::MAX_LEN), ("64k", header::MAX_EXTENDED_LEN)] {
        let (stream, _) = packed_updates(ROUTES, max);
        let ctx = Context {
            extended_message: max > 4096,
            ..ctx.clone()
        };
        g.bench_function(format!("decode_stream_{name}"), |b| {
            b.iter(|| {
                let mut buf = stream.clone();
                let mut n = 0usize;
                while let Ok(Some(f)) = decode_frame(&mut buf, max) {
                    if let Ok(Message::Update(u)) = decode_message(&f, &ctx) {
                        n += u.mp_reach().map_or(0, |m| m.nlri.len());
                    }
                }
                assert_eq!(n, ROUTES as usize);
                black_box(n)
            })
        });
    }

    let routes: Vec<_> = (0..ROUTES).map(mac_ip_route).collect();
    g.bench_function("encode_4k", |b| {
        b.iter(|| {
            let mut out = bytes::BytesMut::with_capacity(5_000_000);
            for chunk in routes.chunks(100) {
                let u = Update::evpn_reach(
                    "10.0.0.1".parse().expect("ip"),
                    chunk.to_vec(),
                    evpnd_bench::evpn_attrs(),
                );
                Message::Update(u).encode(&ctx, &mut out);
            }
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
