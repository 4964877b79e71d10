//! A bounds-checked cursor over input bytes, built on nom's streaming-free
//! (`complete`) number parsers: every read either yields a value or `None`,
//! never panics, and never allocates.

use nom::IResult;
use nom::bytes::complete::take;
use nom::number::complete::{be_u8, be_u16, be_u32};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

fn run<'a, T>(r: &mut Reader<'a>, p: impl FnOnce(&'a [u8]) -> IResult<&'a [u8], T>) -> Option<T> {
    let (rest, v) = p(r.buf).ok()?;
    r.buf = rest;
    Some(v)
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        run(self, be_u8::<&[u8], nom::error::Error<&[u8]>>)
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        run(self, be_u16::<&[u8], nom::error::Error<&[u8]>>)
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        run(self, be_u32::<&[u8], nom::error::Error<&[u8]>>)
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        run(self, take::<usize, &[u8], nom::error::Error<&[u8]>>(n))
    }
    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.bytes(N).and_then(|b| b.try_into().ok())
    }
}
