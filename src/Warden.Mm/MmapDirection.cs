namespace Warden.Mm;

/// <summary>Where mmap looks for free space when the caller gives no usable address.</summary>
public enum MmapDirection
{
    /// <summary>Downwards from <see cref="MmapLayout.TopDownBase"/>, Linux's default layout.</summary>
    TopDown = 0,

    /// <summary>Upwards from <see cref="MmapLayout.BottomUpBase"/>, Linux's legacy layout.</summary>
    BottomUp,
}
