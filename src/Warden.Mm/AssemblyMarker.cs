namespace Warden.Mm;

// Placeholder so the project builds before its first type lands; removed with the first real file.
internal static class AssemblyMarker;
