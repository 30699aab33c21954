//! One Sysmon event 22 (DNS query) as the Splunk Add-on for Sysmon presents
//! it from the XmlWinEventLog sourcetype, built from a generated DNS event
//! and its position (for `gen widen --shape sysmon`).

/// The fields of the wide stream, in its column order.
pub(super) const FIELDS: [&str; 46] = [
    "_time",
    "_raw",
    "host",
    "source",
    "sourcetype",
    "index",
    "splunk_server",
    "linecount",
    "eventtype",
    "tag",
    "date_hour",
    "date_mday",
    "date_minute",
    "date_month",
    "date_second",
    "date_wday",
    "date_year",
    "date_zone",
    "timestartpos",
    "timeendpos",
    "EventCode",
    "EventID",
    "Computer",
    "Keywords",
    "Level",
    "Opcode",
    "RecordID",
    "Task",
    "Version",
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "QueryName",
    "QueryStatus",
    "QueryResults",
    "Image",
    "User",
    "dest",
    "query",
    "answer",
    "reply_code_id",
    "process_id",
    "process_name",
    "signature_id",
    "vendor_product",
];

const IMAGES: [&str; 6] = [
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.2009.7-0\MsMpEng.exe",
    r"C:\Users\pgustavo\AppData\Local\Microsoft\Teams\current\Teams.exe",
];
const USERS: [&str; 4] = [
    "NT AUTHORITY\\SYSTEM",
    "THESHIRE\\pgustavo",
    "NT AUTHORITY\\NETWORK SERVICE",
    "THESHIRE\\nmartha",
];
const GUID: &str = "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}";
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] =
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&apos;")
}

/// UTC calendar fields of a Unix time: (year, month 1-12, day, hour,
/// minute, second, weekday with Monday 0).
pub(crate) fn gmtime(t: i64) -> (i64, usize, i64, i64, i64, i64, usize) {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    // Days to civil date (proleptic Gregorian), eras of 400 years.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = (days + 3).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
    (year, month as usize, day, secs / 3600, secs / 60 % 60, secs % 60, weekday)
}

/// The event at position `n` from the input event whose values `get`
/// returns: (field, values) in the add-on's order.
pub(super) fn event<'a>(
    n: usize,
    get: impl Fn(&str) -> &'a [String],
) -> Result<Vec<(&'static str, Vec<String>)>, String> {
    let t = match get("_time").first() {
        Some(v) => v
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("event {n}: _time {v:?} is not a number"))?,
        None => 1_700_000_000.0 + n as f64,
    };
    let whole = t.trunc();
    let frac = (((t - whole) * 1000.0).round_ties_even() as i64).rem_euclid(1000);
    let (y, mon, d, h, mi, sec, wday) = gmtime(whole as i64);
    let iso = format!("{y:04}-{mon:02}-{d:02}T{h:02}:{mi:02}:{sec:02}.{frac:03}0000Z");
    let utc = format!("{y:04}-{mon:02}-{d:02} {h:02}:{mi:02}:{sec:02}.{frac:03}");
    let q = get("query").first().cloned().unwrap_or_default();
    let answers = get("answer").to_vec();
    let mut results: String = answers
        .iter()
        .map(|a| {
            if a.starts_with(|c: char| c.is_ascii_digit()) {
                format!("::ffff:{a};")
            } else {
                format!("type:  5 {a};")
            }
        })
        .collect();
    if results.is_empty() {
        results = "-".into();
    }
    let status = if answers.is_empty() { "9003" } else { "0" };
    let computer = format!("WORKSTATION{}.theshire.local", n % 50 + 1);
    let hash = (n as u128 * 2_654_435_761) % (1 << 48);
    let pguid = format!(
        "{{39e4a257-{:04x}-{:04x}-{:04x}-{hash:012x}}}",
        n % 0x10000,
        (n * 7) % 0x10000,
        0x700 + n % 16
    );
    let pid = (1000 + (n * 37) % 9000).to_string();
    let image = IMAGES[n % IMAGES.len()];
    let user = USERS[n % USERS.len()];
    let sid = if user.starts_with("NT AUTHORITY") {
        "S-1-5-18".to_string()
    } else {
        format!("S-1-5-21-3940915590-64593676-1414006259-{}", 1100 + n % 7)
    };
    let (sys_pid, tid, rec) = (
        (3000 + n % 97).to_string(),
        (4000 + (n * 13) % 1000).to_string(),
        (1_000_000 + n).to_string(),
    );
    let data = [
        ("RuleName", "-"),
        ("UtcTime", &utc),
        ("ProcessGuid", &pguid),
        ("ProcessId", &pid),
        ("QueryName", &q),
        ("QueryStatus", status),
        ("QueryResults", &results),
        ("Image", image),
        ("User", user),
    ];
    let data: String =
        data.iter().map(|(k, v)| format!("<Data Name='{k}'>{}</Data>", xml_escape(v))).collect();
    let raw = format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <Provider Name='Microsoft-Windows-Sysmon' Guid='{GUID}'/><EventID>22</EventID>\
         <Version>5</Version><Level>4</Level><Task>22</Task><Opcode>0</Opcode>\
         <Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='{iso}'/>\
         <EventRecordID>{rec}</EventRecordID><Correlation/><Execution ProcessID='{sys_pid}' ThreadID='{tid}'/>\
         <Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>{computer}</Computer>\
         <Security UserID='S-1-5-18'/></System><EventData>{data}</EventData></Event>"
    );
    let one = |v: &str| if v.is_empty() { vec![] } else { vec![v.to_string()] };
    let s = |v: &str| vec![v.to_string()];
    let host = computer.split('.').next().unwrap_or_default().to_string();
    let process_name = image.rsplit('\\').next().unwrap_or(image);
    Ok(vec![
        ("date_hour", s(&h.to_string())),
        ("date_mday", s(&d.to_string())),
        ("date_minute", s(&mi.to_string())),
        ("date_month", s(MONTHS[mon - 1])),
        ("date_second", s(&sec.to_string())),
        ("date_wday", s(WEEKDAYS[wday])),
        ("date_year", s(&y.to_string())),
        ("date_zone", s("0")),
        ("timestartpos", s("355")),
        ("timeendpos", s("383")),
        ("_time", one(&format!("{t:.3}"))),
        ("_raw", vec![raw]),
        ("host", vec![host]),
        ("source", s("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational")),
        ("sourcetype", s("XmlWinEventLog")),
        ("index", s("sysmon")),
        ("splunk_server", vec![format!("idx-{:02}", n % 4 + 1)]),
        ("linecount", s("1")),
        ("eventtype", s("ms-sysmon-dns")),
        ("tag", vec!["dns".into(), "network".into(), "resolution".into()]),
        ("EventCode", s("22")),
        ("EventID", s("22")),
        ("EventChannel", s("Microsoft-Windows-Sysmon/Operational")),
        ("Computer", s(&computer)),
        ("Guid", s(GUID)),
        ("Keywords", s("0x8000000000000000")),
        ("Level", s("4")),
        ("Opcode", s("0")),
        ("ProcessID", s(&sys_pid)),
        ("ThreadID", s(&tid)),
        ("RecordID", s(&rec)),
        ("SystemTime", s(&iso)),
        ("Task", s("22")),
        ("Version", s("5")),
        ("Name", s("Microsoft-Windows-Sysmon")),
        ("UserID", s("S-1-5-18")),
        ("RuleName", s("-")),
        ("UtcTime", s(&utc)),
        ("ProcessGuid", s(&pguid)),
        ("ProcessId", s(&pid)),
        ("QueryName", one(&q)),
        ("QueryStatus", s(status)),
        ("QueryResults", s(&results)),
        ("Image", s(image)),
        ("User", s(user)),
        ("dest", s(&computer)),
        ("dvc", s(&computer)),
        ("query", one(&q)),
        ("answer", answers),
        ("reply_code_id", s(status)),
        ("process_guid", s(&pguid)),
        ("process_id", s(&pid)),
        ("process_name", s(process_name)),
        ("process_path", s(image)),
        ("signature", s("DNSEvent (DNS query)")),
        ("signature_id", s("22")),
        ("user_id", vec![sid]),
        ("vendor_product", s("Microsoft Sysmon")),
    ])
}

#[cfg(test)]
mod tests {
    use super::gmtime;

    #[test]
    fn gmtime_matches_the_c_library() {
        assert_eq!(gmtime(0), (1970, 1, 1, 0, 0, 0, 3));
        // python3 -c 'import time;print(time.gmtime(1700000000)[:7])'
        assert_eq!(gmtime(1_700_000_000), (2023, 11, 14, 22, 13, 20, 1));
        assert_eq!(gmtime(951_782_400), (2000, 2, 29, 0, 0, 0, 1));
        assert_eq!(gmtime(1_765_000_000), (2025, 12, 6, 5, 46, 40, 5));
    }
}
