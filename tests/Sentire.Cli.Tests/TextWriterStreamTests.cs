using System.Text;

namespace Sentire.Cli.Tests;

public sealed class TextWriterStreamTests
{
    [Fact]
    public void BytesWrittenOneAtATimeReachTheWriterAsTheSameText()
    {
        const string text = "{\"file\":\"Ünïcode €uro 😀 声音.wav\",\"x\":1}";
        var bytes = Encoding.UTF8.GetBytes(text);
        var output = new StringWriter();
        using (var stream = new TextWriterStream(output))
            foreach (var b in bytes) stream.Write([b]);   // every multi-byte character split across writes
        Assert.Equal(text, output.ToString());
    }
}
