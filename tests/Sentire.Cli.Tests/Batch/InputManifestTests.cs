using Sentire.Cli.Batch;

namespace Sentire.Cli.Tests.Batch;

public sealed class InputManifestTests
{
    [Fact]
    public void TextJsonlAndCsvListsGiveTheirPathsRelativeToTheirFolder()
    {
        var dir = Directory.CreateTempSubdirectory("sentire-manifest").FullName;
        File.WriteAllText(Path.Combine(dir, "list.txt"), "# podcast\na.wav\r\n\n/abs/b.flac\n");
        File.WriteAllText(Path.Combine(dir, "m.jsonl"), "{\"path\": \"a.wav\", \"id\": 1}\n{\"file\": \"/abs/b.flac\"}\n");
        File.WriteAllText(Path.Combine(dir, "m.csv"), "id,path\n1,a.wav\n2,\"/abs/b,c.flac\"\n");
        Assert.Equal([Path.Join(dir, "a.wav"), "/abs/b.flac"], InputManifest.Read(Path.Combine(dir, "list.txt")));
        Assert.Equal([Path.Join(dir, "a.wav"), "/abs/b.flac"], InputManifest.Read(Path.Combine(dir, "m.jsonl")));
        Assert.Equal([Path.Join(dir, "a.wav"), "/abs/b,c.flac"], InputManifest.Read(Path.Combine(dir, "m.csv")));

        File.WriteAllText(Path.Combine(dir, "bad.jsonl"), "{\"path\": \"a.wav\"}\n{\"id\": 2}\n");
        Assert.Contains("bad.jsonl:2: no 'path' or 'file' key", Assert.Throws<InvalidDataException>(() => InputManifest.Read(Path.Combine(dir, "bad.jsonl"))).Message);
        File.WriteAllText(Path.Combine(dir, "bad.csv"), "id,name\n1,a.wav\n");
        Assert.Contains("bad.csv:1: the header has no 'path'", Assert.Throws<InvalidDataException>(() => InputManifest.Read(Path.Combine(dir, "bad.csv"))).Message);
        Directory.Delete(dir, recursive: true);
    }
}
