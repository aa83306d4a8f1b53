namespace Sentire.Evaluation.Charts;

/// <summary>
/// Approximate text extents for laying out SVG charts without a font engine: the advance widths of DejaVu Sans
/// (the font Debian's fontconfig gives for <c>sans-serif</c>, first in the charts' <see cref="FontFamily"/>), measured
/// in Chromium with canvas <c>measureText</c> at 1000 px and rounded up. Verdana, the next font in the list, is no wider; Arial and
/// Helvetica are narrower, so text laid out with these widths fits in them too. Characters outside printable ASCII
/// count as 1 em, the width of a CJK ideograph and more than any Latin letter.
/// </summary>
public static class TextMetrics
{
    /// <summary>The font list every chart sets on its root element.</summary>
    public const string FontFamily = "'DejaVu Sans', Verdana, sans-serif";

    /// <summary>Ascent and descent of DejaVu Sans as fractions of the font size (fontBoundingBox in Chromium): a line's
    /// glyphs lie between baseline - Ascent * size and baseline + Descent * size.</summary>
    public const double Ascent = 0.928, Descent = 0.236;

    // Advance widths in 1/1000 em of ' ' (32) to '~' (126), rounded up: a sum of them is never narrower than the text.
    static ReadOnlySpan<short> Advance =>
    [
        318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337,   // space ! " # $ % & ' ( ) * + , - . /
        637, 637, 637, 637, 637, 637, 637, 637, 637, 637, 337, 337, 838, 838, 838, 531,   // 0-9 : ; < = > ?
        1000, 685, 687, 699, 771, 632, 576, 775, 752, 295, 295, 656, 558, 863, 749, 788,   // @ A-O
        604, 788, 695, 635, 611, 732, 685, 989, 686, 611, 686, 391, 337, 391, 838, 500,   // P-Z [ \ ] ^ _
        500, 613, 635, 550, 635, 616, 353, 635, 634, 278, 278, 580, 278, 975, 634, 612,   // ` a-o
        635, 635, 412, 521, 393, 634, 592, 818, 592, 592, 525, 637, 337, 637, 838,   // p-z { | } ~
    ];

    /// <summary>Width in px of <paramref name="text"/> set at <paramref name="size"/> px.</summary>
    public static double Width(string text, double size)
    {
        double em = 0;
        foreach (char c in text) em += c is >= ' ' and <= '~' ? Advance[c - ' '] : 1000;
        return em * size / 1000;
    }
}
