//! The options of an export besides its format and tier, and which
//! format reads each.

use super::Format;
use crate::zoneset::TierSelection;

/// How Suricata rules carry the zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuricataMode {
    /// One rule per zone and buffer (`content:".zone"; endswith;`), one file.
    Content,
    /// Six rules looking suffixes up in datasets, plus two dataset files.
    Dataset,
}

/// Where the Zeek script's zone table lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZeekData {
    /// In the script, as a table constructor.
    Inline,
    /// In a TSV file the Input framework reads.
    File,
}

/// Where the KQL query's zone table comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KqlSource {
    /// A `datatable` in the query (core tier only).
    #[default]
    Datatable,
    /// A Microsoft Sentinel watchlist (`_GetWatchlist`), uploaded from the
    /// `csv` export.
    Watchlist,
    /// `externaldata` reading the `csv` export from a URL.
    Externaldata,
}

/// The options of an export besides the format and tier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The part to write (required when the format has several).
    pub part: Option<String>,
    /// Suricata: content or dataset rules (default: content for core,
    /// dataset for all).
    pub suricata_mode: Option<SuricataMode>,
    /// Zeek: the zones inline or in a file (default: inline for core, file
    /// for all).
    pub zeek_data: Option<ZeekData>,
    /// KQL: where the zone table comes from.
    pub kql_source: KqlSource,
    /// KQL with `externaldata`: the URL of the CSV.
    pub kql_url: Option<String>,
    /// Elastic: the document fields holding the host, first non-empty wins.
    pub elastic_fields: Option<Vec<String>>,
    /// CSV: leave out the four `#` comment lines (for `externaldata`).
    pub no_comments: bool,
}

impl Options {
    /// The options given (as command-line flags) that `format` does not
    /// read: a misplaced option is refused rather than silently ignored.
    /// (`--kql-source`'s default cannot be told from not given.)
    pub fn unused_by(&self, format: Format) -> Vec<&'static str> {
        let given = [
            (self.suricata_mode.is_some(), "--suricata-mode", Format::Suricata),
            (self.zeek_data.is_some(), "--zeek-data", Format::Zeek),
            (self.kql_source != KqlSource::default(), "--kql-source", Format::Kql),
            (self.kql_url.is_some(), "--kql-url", Format::Kql),
            (self.elastic_fields.is_some(), "--elastic-fields", Format::Elastic),
            (self.no_comments, "--no-comments", Format::Csv),
        ];
        given.iter().filter(|&&(set, _, f)| set && f != format).map(|&(_, flag, _)| flag).collect()
    }

    pub(super) fn suricata_mode(&self, tier: TierSelection) -> SuricataMode {
        self.suricata_mode.unwrap_or(match tier {
            TierSelection::Core => SuricataMode::Content,
            TierSelection::All => SuricataMode::Dataset,
        })
    }

    pub(super) fn zeek_data(&self, tier: TierSelection) -> ZeekData {
        self.zeek_data.unwrap_or(match tier {
            TierSelection::Core => ZeekData::Inline,
            TierSelection::All => ZeekData::File,
        })
    }
}
