//! What a binary is, read from its own header: the ELF or PE machine (which
//! `file` reported before, a tool the machine may lack) and, for ELF, the
//! highest glibc symbol version it needs (which `objdump -T` reported).

/// A program format and machine the package ships.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// ELF 64-bit little-endian, x86-64.
    ElfX86_64,
    /// ELF 64-bit little-endian, AArch64.
    ElfAarch64,
    /// PE32+ console program (not a DLL), x86-64.
    PeConsoleX86_64,
}

impl Kind {
    /// As `file` would put it, for messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::ElfX86_64 => "ELF 64-bit x86-64",
            Kind::ElfAarch64 => "ELF 64-bit ARM aarch64",
            Kind::PeConsoleX86_64 => "PE32+ console program, x86-64",
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at.checked_add(8)?)?.try_into().ok()?))
}

/// The program's format and machine, or what it is instead.
pub(crate) fn identify(b: &[u8]) -> Result<Kind, String> {
    if b.starts_with(b"\x7fELF") {
        // EI_CLASS 2 (64-bit), EI_DATA 1 (little-endian), e_machine.
        return match (b.get(4), b.get(5), u16_at(b, 18)) {
            (Some(2), Some(1), Some(62)) => Ok(Kind::ElfX86_64),
            (Some(2), Some(1), Some(183)) => Ok(Kind::ElfAarch64),
            (class, data, machine) => Err(format!(
                "ELF of class {class:?}, data {data:?}, machine {machine:?} \
                 (not a 64-bit little-endian x86-64 or aarch64 program)"
            )),
        };
    }
    if b.starts_with(b"MZ") {
        let pe = u32_at(b, 0x3c).ok_or("MZ header cut short")? as usize;
        if b.get(pe..pe + 4) != Some(b"PE\0\0") {
            return Err("MZ program without a PE header".into());
        }
        let (coff, opt) = (pe + 4, pe + 24);
        let machine = u16_at(b, coff).ok_or("PE header cut short")?;
        let characteristics = u16_at(b, coff + 18).ok_or("PE header cut short")?;
        let magic = u16_at(b, opt).ok_or("PE optional header cut short")?;
        let subsystem = u16_at(b, opt + 68).ok_or("PE optional header cut short")?;
        // AMD64, PE32+, IMAGE_SUBSYSTEM_WINDOWS_CUI, not IMAGE_FILE_DLL.
        return if machine == 0x8664
            && magic == 0x20b
            && subsystem == 3
            && characteristics & 0x2000 == 0
        {
            Ok(Kind::PeConsoleX86_64)
        } else {
            Err(format!(
                "PE machine {machine:#x}, optional header {magic:#x}, subsystem {subsystem}, \
                 characteristics {characteristics:#x} (not an x86-64 PE32+ console program)"
            ))
        };
    }
    let start: String = b.iter().take(8).map(|c| format!("{c:02x}")).collect();
    Err(format!("neither ELF nor PE (starts {start})"))
}

/// The highest `GLIBC_x.y` version among the symbol versions an ELF
/// binary needs (its `.gnu.version_r` section), `None` if it needs none.
pub(crate) fn max_glibc(b: &[u8]) -> Result<Option<Vec<u32>>, String> {
    let bad = || "malformed ELF section headers".to_string();
    let shoff = u64_at(b, 0x28).ok_or_else(bad)? as usize;
    let shentsize = usize::from(u16_at(b, 0x3a).ok_or_else(bad)?);
    let shnum = usize::from(u16_at(b, 0x3c).ok_or_else(bad)?);
    // (offset, size, link, info) of section `i`.
    let section = |i: usize| -> Option<(usize, usize, usize, usize)> {
        let h = shoff.checked_add(i.checked_mul(shentsize)?)?;
        Some((
            u64_at(b, h + 24)? as usize,
            u64_at(b, h + 32)? as usize,
            u32_at(b, h + 40)? as usize,
            u32_at(b, h + 44)? as usize,
        ))
    };
    let mut max: Option<Vec<u32>> = None;
    for i in 0..shnum {
        const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
        let h = shoff + i * shentsize;
        if u32_at(b, h + 4).ok_or_else(bad)? != SHT_GNU_VERNEED {
            continue;
        }
        let (off, size, link, count) = section(i).ok_or_else(bad)?;
        let (strtab, strsize, _, _) = section(link).ok_or_else(bad)?;
        let name = |at: usize| -> Option<&[u8]> {
            let s = b.get(strtab..strtab.checked_add(strsize)?)?.get(at..)?;
            Some(&s[..s.iter().position(|&c| c == 0)?])
        };
        let bad_verneed = || "malformed ELF .gnu.version_r section".to_string();
        let end = off.checked_add(size).ok_or_else(bad_verneed)?;
        let mut need = off;
        for _ in 0..count {
            let aux_count = u16_at(b, need + 2).ok_or_else(bad_verneed)?;
            let mut aux = need + u32_at(b, need + 8).ok_or_else(bad_verneed)? as usize;
            for _ in 0..aux_count {
                if aux + 16 > end {
                    return Err(bad_verneed());
                }
                let n = u32_at(b, aux + 8).ok_or_else(bad_verneed)? as usize;
                let text = name(n).ok_or_else(bad_verneed)?;
                if let Some(v) = glibc_version(text) {
                    if max.as_ref().is_none_or(|m| v > *m) {
                        max = Some(v);
                    }
                }
                aux += u32_at(b, aux + 12).ok_or_else(bad_verneed)? as usize;
            }
            need += u32_at(b, need + 12).ok_or_else(bad_verneed)? as usize;
        }
    }
    Ok(max)
}

/// `GLIBC_2.17` → `[2, 17]`; `None` for other names (`GLIBC_PRIVATE`).
fn glibc_version(name: &[u8]) -> Option<Vec<u32>> {
    let v = std::str::from_utf8(name.strip_prefix(b"GLIBC_")?).ok()?;
    v.split('.').map(|n| n.parse().ok()).collect()
}

/// `[2, 17]` → `2.17`.
pub(crate) fn dotted(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_names_parse_as_numbers() {
        assert_eq!(glibc_version(b"GLIBC_2.17"), Some(vec![2, 17]));
        assert_eq!(glibc_version(b"GLIBC_2.2.5"), Some(vec![2, 2, 5]));
        assert_eq!(glibc_version(b"GLIBC_PRIVATE"), None);
        assert_eq!(glibc_version(b"GCC_3.0"), None);
        assert!(vec![2, 17] > vec![2, 2, 5] && vec![2, 28] > vec![2, 17]);
        assert_eq!(dotted(&[2, 2, 5]), "2.2.5");
    }

    #[test]
    fn headers_name_the_machine() {
        let mut elf = vec![0u8; 64];
        elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
        elf[18] = 62;
        assert_eq!(identify(&elf), Ok(Kind::ElfX86_64));
        elf[18] = 183;
        assert_eq!(identify(&elf), Ok(Kind::ElfAarch64));
        elf[4] = 1;
        assert!(identify(&elf).unwrap_err().contains("class Some(1)"));
        let mut pe = vec![0u8; 0x200];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        pe[0x84..0x86].copy_from_slice(&0x8664u16.to_le_bytes());
        pe[0x98..0x9a].copy_from_slice(&0x20bu16.to_le_bytes());
        pe[0x98 + 68] = 3;
        assert_eq!(identify(&pe), Ok(Kind::PeConsoleX86_64));
        pe[0x98 + 68] = 2; // a GUI program
        assert!(identify(&pe).is_err());
        assert!(identify(b"#!/bin/sh\n").unwrap_err().contains("neither ELF nor PE"));
        assert!(identify(b"MZ").is_err());
        // A truncated ELF has no section headers to read.
        assert!(max_glibc(&elf[..20]).is_err());
    }
}
